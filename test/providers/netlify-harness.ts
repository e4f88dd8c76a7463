import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { NetlifySiteInputs } from "../../src/components/netlify/provider-impl";
import { startFakeNetlify, type FakeNetlify } from "../fakes/netlify-api";

/** The token the FAKE Netlify accepts. */
export const TOKEN = "fake-netlify-token";

const VARIABLES = ["NETLIFY_AUTH_TOKEN", "NETLIFY_API_URL", "NETLIFY_API_TIMEOUT_MS", "NETLIFY_DEPLOY_TIMEOUT_MS", "NETLIFY_DEPLOY_POLL_MS"] as const;

/** What a Netlify provider test works with: the FAKE API, a bundle directory with two files, and inputs for a site. */
export interface NetlifyHarness {
  readonly fake: FakeNetlify;
  readonly dir: string;
  inputs(name: string, overrides?: Partial<NetlifySiteInputs>): NetlifySiteInputs;
  /** Writes a file into the bundle (creating its directories). */
  write(file: string, content: string): Promise<void>;
}

/**
 * Registers the hooks of a suite that runs the Netlify provider against the FAKE Netlify API: the provider's
 * environment points at the fake, polls deploys every few milliseconds, and after each test the fake must have seen
 * only requests that Netlify's description allows (and given only answers that match it).
 */
export function useFakeNetlify(): NetlifyHarness {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  const state: { fake?: FakeNetlify; dir?: string } = {};

  beforeAll(async () => {
    state.fake = await startFakeNetlify(TOKEN);
    process.env.NETLIFY_API_URL = state.fake.url;
    // Short, so the fake's held-open answers end the calls quickly.
    process.env.NETLIFY_API_TIMEOUT_MS = "300";
    process.env.NETLIFY_DEPLOY_POLL_MS = "5";
  });

  afterAll(async () => {
    await state.fake?.close();
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  beforeEach(async () => {
    process.env.NETLIFY_AUTH_TOKEN = TOKEN;
    delete process.env.NETLIFY_DEPLOY_TIMEOUT_MS;
    state.dir = await mkdtemp(path.join(os.tmpdir(), "dp-netlify-"));
    await writeFile(path.join(state.dir, "index.html"), "<h1>v1</h1>");
    await writeFile(path.join(state.dir, "style.css"), "h1{}");
  });

  afterEach(async () => {
    const fake = state.fake!;
    fake.clearFailures();
    fake.resetDeployScript();
    await rm(state.dir!, { recursive: true, force: true });
    const violations = fake.violations.splice(0);
    expect(violations, "requests or answers outside Netlify's description").toEqual([]);
  });

  return {
    get fake() {
      return state.fake!;
    },
    get dir() {
      return state.dir!;
    },
    inputs: (name, overrides = {}) => ({
      name,
      customDomain: null,
      env: { PUBLIC_API: "https://api.example.com" },
      secretEnv: { SENTRY_DSN: "https://key@sentry.example/1" },
      bundlePath: state.dir!,
      digest: "sha256:one",
      ...overrides,
    }),
    write: async (file, content) => {
      const target = path.join(state.dir!, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    },
  };
}
