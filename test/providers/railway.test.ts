import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpApiError } from "../../src/components/http-api-error";
import { PROJECT_MARKER_PREFIX } from "../../src/components/railway/api";
import { createProject, deleteProject, diffProject, readProject, updateProject, type RailwayProjectInputs } from "../../src/components/railway/provider-impl";
import { startFakeRailway, type FakeRailway } from "../fakes/railway-api";

// The provider's create/read/update/delete run against a local FAKE of Railway's GraphQL API (Railway cannot be reached here).

const TOKEN = "fake-railway-token";

describe("Railway project provider against a fake Railway API", () => {
  let fake: FakeRailway;
  const saved = { token: process.env.RAILWAY_TOKEN, url: process.env.RAILWAY_API_URL, timeout: process.env.RAILWAY_API_TIMEOUT_MS };

  beforeAll(async () => {
    fake = await startFakeRailway(TOKEN);
    process.env.RAILWAY_TOKEN = TOKEN;
    process.env.RAILWAY_API_URL = fake.url;
    // Short, so the fake's held-open answers end the calls quickly.
    process.env.RAILWAY_API_TIMEOUT_MS = "300";
  });

  afterAll(async () => {
    await fake.close();
    if (saved.token === undefined) delete process.env.RAILWAY_TOKEN;
    else process.env.RAILWAY_TOKEN = saved.token;
    if (saved.url === undefined) delete process.env.RAILWAY_API_URL;
    else process.env.RAILWAY_API_URL = saved.url;
    if (saved.timeout === undefined) delete process.env.RAILWAY_API_TIMEOUT_MS;
    else process.env.RAILWAY_API_TIMEOUT_MS = saved.timeout;
  });

  afterEach(() => {
    process.env.RAILWAY_TOKEN = TOKEN;
    fake.clearFailures();
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
    expect(error).toBeInstanceOf(HttpApiError);
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

  const named = (name: string) => [...fake.projects.values()].filter((p) => p.name === name);
  const callsOf = (operation: string, from: number) => fake.calls.slice(from).filter((c) => c === operation).length;

  it("adopts the project a create made before timing out, leaving exactly one", async () => {
    const from = fake.calls.length;
    fake.failNext("timeout", 1, "projectCreate", { afterActing: true });
    const created = await createProject(inputs("timed-out-project"));
    expect(named("timed-out-project").map((p) => p.id)).toEqual([created.id]);
    expect(callsOf("projectCreate", from)).toBe(1);
    expect(fake.projects.get(created.id)!.description).toMatch(new RegExp(`^${PROJECT_MARKER_PREFIX}`));
    expect(fake.projects.get(created.id)!.services.map((s) => s.name)).toEqual(["postgres", "redis", "app"]);
    await deleteProject(created.id);
  });

  it("adopts the project a create made before answering 502, leaving exactly one", async () => {
    fake.failNext(502, 1, "projectCreate", { afterActing: true });
    const created = await createProject(inputs("bad-gateway-project"));
    expect(named("bad-gateway-project").map((p) => p.id)).toEqual([created.id]);
    await deleteProject(created.id);
  });

  it("creates the project again when the first attempt failed before Railway acted", async () => {
    const from = fake.calls.length;
    fake.failNext(502, 1, "projectCreate");
    const created = await createProject(inputs("second-try-project"));
    expect(named("second-try-project").map((p) => p.id)).toEqual([created.id]);
    expect(callsOf("projectCreate", from)).toBe(2);
    await deleteProject(created.id);
  });

  it("never adopts another project that only shares the name", async () => {
    const other = await createProject(inputs("shared-name"));
    fake.failNext(502, 1, "projectCreate");
    const created = await createProject(inputs("shared-name"));
    expect(created.id).not.toBe(other.id);
    expect(named("shared-name")).toHaveLength(2);
    await deleteProject(created.id);
    await deleteProject(other.id);
  });

  it("adopts a service whose create timed out after Railway made it, leaving exactly one", async () => {
    const from = fake.calls.length;
    fake.failNext("timeout", 1, "serviceCreate", { afterActing: true });
    const created = await createProject(inputs("service-timeout", { datastores: [] }));
    expect(fake.projects.get(created.id)!.services.map((s) => s.id)).toEqual([created.outs.serviceId]);
    expect(callsOf("serviceCreate", from)).toBe(1);
    await deleteProject(created.id);
  });

  it("retries a read that answers 503", async () => {
    const created = await createProject(inputs("read-retry", { datastores: [] }));
    const from = fake.calls.length;
    fake.failNext(503, 2, "project");
    expect((await readProject(created.id, created.outs)).id).toBe(created.id);
    expect(callsOf("project", from)).toBe(3);
    await deleteProject(created.id);
  });

  it("counts a delete answered 502 after deleting, then 404 on the retry, as deleted", async () => {
    const created = await createProject(inputs("delete-retry", { datastores: [] }));
    const from = fake.calls.length;
    fake.failNext(502, 1, "projectDelete", { afterActing: true });
    fake.failNext(404, 1, "projectDelete");
    await expect(deleteProject(created.id)).resolves.toBeUndefined();
    expect(callsOf("projectDelete", from)).toBe(2);
    expect(fake.projects.has(created.id)).toBe(false);
  });

  it("does not retry a 401 and never shows the token", async () => {
    process.env.RAILWAY_TOKEN = "wrong-token-value-456";
    const from = fake.calls.length;
    const error = await createProject(inputs("unauthorized-once")).catch((e: unknown) => e);
    expect((error as HttpApiError).status).toBe(401);
    expect((error as Error).message).not.toContain("wrong-token-value-456");
    expect(fake.calls.length - from).toBe(1);
  });
});
