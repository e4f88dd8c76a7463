import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { RailwayProjectInputs } from "../../src/components/railway/provider-impl";
import { startFakeRailway, type FakeRailway } from "../fakes/railway-api";
import { isolateEnvironment } from "../support/mocks";

/** The account token the FAKE Railway accepts as `Authorization: Bearer`. */
export const ACCOUNT_TOKEN = "fake-railway-account-token";

/** Every variable of the deploying environment the Railway provider reads. */
const RAILWAY_VARIABLES = ["RAILWAY_TOKEN", "RAILWAY_API_TOKEN", "RAILWAY_API_URL", "RAILWAY_API_TIMEOUT_MS", "RAILWAY_WORKSPACE_ID", "RAILWAY_WORKFLOW_POLL_MS"];

/**
 * Starts a FAKE Railway API for a test file (Railway cannot be reached from the test machine) and, before each test,
 * points the provider at it with the account token. After each test, no answer of the fake may have broken Railway's
 * schema.
 */
export function useFakeRailway(): () => FakeRailway {
  let fake: FakeRailway | undefined;
  isolateEnvironment(RAILWAY_VARIABLES);
  beforeAll(async () => {
    fake = await startFakeRailway(ACCOUNT_TOKEN);
  });
  beforeEach(() => {
    process.env.RAILWAY_API_TOKEN = ACCOUNT_TOKEN;
    process.env.RAILWAY_API_URL = fake!.url;
    // Short, so the fake's held-open answers end the calls quickly and template workflows are polled at once.
    process.env.RAILWAY_API_TIMEOUT_MS = "300";
    process.env.RAILWAY_WORKFLOW_POLL_MS = "5";
  });
  afterEach(() => {
    fake!.clearFailures();
    expect(fake!.faults).toEqual([]);
  });
  afterAll(async () => {
    await fake?.close();
  });
  return () => fake!;
}

/** Inputs of a project with a PostgreSQL and a Redis datastore. */
export function projectInputs(name: string, overrides: Partial<RailwayProjectInputs> = {}): RailwayProjectInputs {
  return {
    name,
    environment: "staging",
    serviceName: "app",
    image: null,
    env: { PORT: "3000" },
    secretEnv: { SENDGRID_API_KEY: "SG.secret-value" },
    datastores: [
      { engine: "postgres", connectionEnv: "DATABASE_URL" },
      { engine: "redis", connectionEnv: "REDIS_URL" },
    ],
    region: "us-east4-eqdc4a",
    ...overrides,
  };
}
