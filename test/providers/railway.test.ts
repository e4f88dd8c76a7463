import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RailwayApiError } from "../../src/components/railway/api";
import { createProject, deleteProject, diffProject, readProject, updateProject, type RailwayProjectInputs } from "../../src/components/railway/provider-impl";
import { startFakeRailway, type FakeRailway } from "../fakes/railway-api";

// The provider's create/read/update/delete run against a local FAKE of Railway's GraphQL API (Railway cannot be reached here).

const TOKEN = "fake-railway-token";

describe("Railway project provider against a fake Railway API", () => {
  let fake: FakeRailway;
  const saved = { token: process.env.RAILWAY_TOKEN, url: process.env.RAILWAY_API_URL };

  beforeAll(async () => {
    fake = await startFakeRailway(TOKEN);
    process.env.RAILWAY_TOKEN = TOKEN;
    process.env.RAILWAY_API_URL = fake.url;
  });

  afterAll(async () => {
    await fake.close();
    if (saved.token === undefined) delete process.env.RAILWAY_TOKEN;
    else process.env.RAILWAY_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.RAILWAY_API_URL;
    else process.env.RAILWAY_API_URL = saved.url;
  });

  afterEach(() => {
    process.env.RAILWAY_TOKEN = TOKEN;
  });

  const inputs = (name: string, overrides: Partial<RailwayProjectInputs> = {}): RailwayProjectInputs => ({
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
    ...overrides,
  });

  it("creates the project, environment, datastore services and the app with datastores wired by reference", async () => {
    const created = await createProject(inputs("crm-app-staging"));
    const project = fake.projects.get(created.id)!;
    expect(project.environments.map((e) => e.name)).toEqual(["production", "staging"]);
    expect(project.services.map((s) => s.name)).toEqual(["postgres", "redis", "app"]);
    expect(project.variables[created.outs.serviceId]).toEqual({
      PORT: "3000",
      SENDGRID_API_KEY: "SG.secret-value",
      DATABASE_URL: "${{postgres.DATABASE_URL}}",
      REDIS_URL: "${{redis.REDIS_URL}}",
    });
    expect(created.outs.dashboardUrl).toBe(`https://railway.app/project/${created.id}`);

    const news = inputs("crm-app-staging", { env: { PORT: "3000", LOG_LEVEL: "debug" } });
    expect(diffProject(created.id, created.outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    await updateProject(created.id, created.outs, news);
    expect(project.variables[created.outs.serviceId]?.LOG_LEVEL).toBe("debug");

    expect((await readProject(created.id, created.outs)).id).toBe(created.id);
    await deleteProject(created.id);
    expect(fake.projects.has(created.id)).toBe(false);
    expect(await readProject(created.id, created.outs)).toEqual({});
    await expect(deleteProject(created.id)).resolves.toBeUndefined();
  });

  it("replaces the project when its datastores change", async () => {
    const olds = { ...inputs("x"), projectId: "p", environmentId: "e", serviceId: "s", datastoreServiceIds: {}, dashboardUrl: "d" };
    expect(diffProject("p", olds, inputs("x", { datastores: [] })).replaces).toEqual(["datastores"]);
  });

  it("retries a 429 and a 500, then succeeds", async () => {
    fake.failNext(429, 1, "projectCreate");
    fake.failNext(500, 1, "projectCreate");
    const created = await createProject(inputs("retried"));
    expect(fake.projects.has(created.id)).toBe(true);
    await deleteProject(created.id);
  });

  it("fails with a clear error on a rejected token and creates nothing", async () => {
    process.env.RAILWAY_TOKEN = "wrong";
    const before = fake.projects.size;
    const error = await createProject(inputs("unauthorized")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RailwayApiError);
    expect((error as Error).message).toBe("Railway rejected the token for projectCreate (HTTP 401); check RAILWAY_TOKEN");
    expect(fake.projects.size).toBe(before);
  });

  it("deletes the half-made project when a later call keeps failing with 500", async () => {
    const before = fake.projects.size;
    fake.failNext(500, 10, "serviceCreate");
    const error = await createProject(inputs("orphan-check")).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Railway serviceCreate failed \(HTTP 500\)/);
    expect(fake.projects.size).toBe(before);
  });
});
