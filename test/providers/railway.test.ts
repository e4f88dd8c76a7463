import { describe, expect, it, vi } from "vitest";
import { HttpApiError } from "../../src/components/http-api-error";
import { createProject, deleteProject, diffProject, readProject, updateProject, type RailwayProjectOutputs } from "../../src/components/railway/provider-impl";
import { projectInputs, useFakeRailway } from "./railway-env";

// The provider's create/read/update/delete run against a local FAKE of Railway's GraphQL API, which checks every
// request and answer against Railway's schema (Railway cannot be reached here).

describe("Railway project provider against a fake Railway API", () => {
  const fake = useFakeRailway();
  const projectOf = (id: string) => fake().world.projects.get(id)!;
  const serviceNamed = (id: string, name: string) => projectOf(id).services.find((s) => s.name === name)!;
  const variablesOf = (outs: RailwayProjectOutputs, serviceId = outs.serviceId) => projectOf(outs.projectId).variables[outs.environmentId]?.[serviceId];

  it("creates the project with the stack's environment, databases from Railway's templates and the app wired to them by reference", async () => {
    const created = await createProject(projectInputs("crm-app-staging"));
    const project = projectOf(created.id);
    expect(project.environments.map((e) => e.name)).toEqual(["staging"]);
    expect(project.services.map((s) => [s.name, s.templateCode])).toEqual([
      ["Postgres", "postgres"],
      ["Redis", "redis"],
      ["app", null],
    ]);
    // A template's database keeps its data on a volume.
    expect(Object.keys(serviceNamed(created.id, "Postgres").volumeMounts)).toHaveLength(1);
    expect(variablesOf(created.outs)).toEqual({
      PORT: "3000",
      SENDGRID_API_KEY: "SG.secret-value",
      DATABASE_URL: "${{Postgres.DATABASE_URL}}",
      REDIS_URL: "${{Redis.REDIS_URL}}",
    });
    // The references name variables the databases really have, so Railway fills in working connection strings.
    const rendered = fake().world.rendered(created.id, created.outs.environmentId, created.outs.serviceId);
    expect(rendered.unresolved).toEqual([]);
    expect(rendered.values.DATABASE_URL).toMatch(/^postgresql:\/\/postgres:[\w-]{24}@postgres\.railway\.internal:5432\/railway$/);
    expect(rendered.values.REDIS_URL).toMatch(/^redis:\/\/default:[\w-]{24}@redis\.railway\.internal:6379$/);
    expect(created.outs).toMatchObject({ ownsProject: true, dashboardUrl: `https://railway.com/project/${created.id}` });

    expect((await readProject(created.id, created.outs)).id).toBe(created.id);
    await deleteProject(created.id, created.outs);
    expect(fake().world.projects.has(created.id)).toBe(false);
  });

  it("sets the app's variables to exactly the spec's, so a variable taken out of the spec is removed from the service", async () => {
    const created = await createProject(projectInputs("variables-replaced", { env: { PORT: "3000", LOG_LEVEL: "debug" }, datastores: [] }));
    const news = projectInputs("variables-replaced", { env: { PORT: "3000" }, datastores: [] });
    expect(diffProject(created.id, created.outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    await updateProject(created.id, created.outs, news);
    expect(variablesOf(created.outs)).toEqual({ PORT: "3000", SENDGRID_API_KEY: "SG.secret-value" });
    await deleteProject(created.id, created.outs);
  });

  it("runs every service in the planned region, and moves them all when the region changes", async () => {
    const created = await createProject(projectInputs("regions", { region: "europe-west4-drams3a" }));
    const regions = () => projectOf(created.id).regions[created.outs.environmentId];
    const ids = [created.outs.serviceId, ...Object.values(created.outs.datastoreServiceIds)];
    for (const id of ids) expect(regions()?.[id]).toEqual({ "europe-west4-drams3a": { numReplicas: 1 } });

    const news = projectInputs("regions", { region: "us-west2" });
    expect(diffProject(created.id, created.outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    const { outs } = await updateProject(created.id, created.outs, news);
    for (const id of ids) expect(regions()?.[id]).toEqual({ "us-west2": { numReplicas: 1 } });
    expect(outs.region).toBe("us-west2");
    await deleteProject(created.id, outs);
  });

  it("reports a project deleted outside Pulumi as gone on refresh, and counts deleting it again as done", async () => {
    const created = await createProject(projectInputs("deleted-outside", { datastores: [] }));
    fake().world.projects.delete(created.id);
    expect(await readProject(created.id, created.outs)).toEqual({});
    await expect(deleteProject(created.id, created.outs)).resolves.toBeUndefined();
    // Railway types `project` as non-null, so it answered with its error, never with a null project.
    expect(fake().requests.filter((r) => r.operation === "project").length).toBeGreaterThan(0);
  });

  it("never takes a refused token for a deleted project", async () => {
    const created = await createProject(projectInputs("refused-read", { datastores: [] }));
    process.env.RAILWAY_API_TOKEN = "not-the-account-token";
    await expect(readProject(created.id, created.outs)).rejects.toThrow(/Not Authorized; check RAILWAY_API_TOKEN/);
    await expect(deleteProject(created.id, created.outs)).rejects.toThrow(/Not Authorized/);
    expect(fake().world.projects.has(created.id)).toBe(true);
  });

  it("replaces the project when its datastores change", async () => {
    const olds = { ...projectInputs("x"), projectId: "p", environmentId: "e", serviceId: "s", datastoreServiceIds: {}, datastoreReferences: {}, ownsProject: true, dashboardUrl: "d" };
    expect(diffProject("p", olds, projectInputs("x", { datastores: [] })).replaces).toEqual(["datastores"]);
  });

  it("fails clearly, and leaves nothing, when a database template's deploy fails on Railway", async () => {
    const before = fake().world.projects.size;
    fake().world.workflowError = "volume could not be created";
    try {
      const error = await createProject(projectInputs("template-fails")).catch((e: unknown) => e);
      expect((error as Error).message).toBe("Railway templateDeployV2 (postgres) failed: its workflow failed: volume could not be created");
    } finally {
      fake().world.workflowError = null;
    }
    expect(fake().world.projects.size).toBe(before);
  });

  it("fails with a clear error on a rejected token and creates nothing", async () => {
    process.env.RAILWAY_API_TOKEN = "wrong";
    const before = fake().world.projects.size;
    const error = await createProject(projectInputs("unauthorized")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpApiError);
    expect((error as Error).message).toBe(
      "Railway projectCreate failed: Not Authorized; check RAILWAY_API_TOKEN (an account or workspace token, which creates a project per stack)",
    );
    expect(fake().world.projects.size).toBe(before);
  });

  it("does not retry a refused token and never shows it", async () => {
    process.env.RAILWAY_API_TOKEN = "wrong-token-value-456";
    const from = fake().calls.length;
    const error = await createProject(projectInputs("unauthorized-once")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpApiError);
    expect((error as Error).message).not.toContain("wrong-token-value-456");
    expect(fake().calls.length - from).toBe(1);
  });
});

describe("Railway endpoint", () => {
  it("calls Railway at backboard.railway.com when RAILWAY_API_URL is unset", async () => {
    const saved = { url: process.env.RAILWAY_API_URL, token: process.env.RAILWAY_API_TOKEN };
    delete process.env.RAILWAY_API_URL;
    process.env.RAILWAY_API_TOKEN = "token-for-a-stubbed-fetch";
    // A stubbed fetch stands in for the network: it records the URL and answers as Railway does for a missing project.
    const urls: string[] = [];
    const stub = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      urls.push(String(input));
      return new Response(JSON.stringify({ data: null, errors: [{ message: "Project not found" }] }), { status: 200, headers: { "content-type": "application/json" } });
    });
    try {
      const props = { ...projectInputs("x"), projectId: "p-1", environmentId: "e", serviceId: "s", datastoreServiceIds: {}, datastoreReferences: {}, ownsProject: true, dashboardUrl: "d" };
      expect(await readProject("p-1", props)).toEqual({});
    } finally {
      stub.mockRestore();
      Object.assign(process.env, saved);
      if (saved.url === undefined) delete process.env.RAILWAY_API_URL;
      if (saved.token === undefined) delete process.env.RAILWAY_API_TOKEN;
    }
    expect(urls).toEqual(["https://backboard.railway.com/graphql/v2"]);
  });
});
