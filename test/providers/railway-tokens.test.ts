import { describe, expect, it } from "vitest";
import { createProject, deleteProject, readProject, updateProject } from "../../src/components/railway/provider-impl";
import { FAKE_WORKSPACES } from "../fakes/railway-api";
import { projectInputs, useFakeRailway } from "./railway-env";

// Railway's two kinds of token against a local FAKE of its GraphQL API, which accepts an account token only as
// `Authorization: Bearer` and a project token only in the `project-access-token` header, as Railway does.

describe("Railway provider: account and project tokens, against a fake Railway API", () => {
  const fake = useFakeRailway();
  const authOf = (from: number) => new Set(fake().requests.slice(from).map((r) => r.auth));

  /** A project made in Railway beforehand, with a project token for its staging environment. */
  const existingProject = (name: string) => {
    const project = fake().world.addProject(name, FAKE_WORKSPACES.personal, ["production", "staging"]);
    const staging = project.environments.find((e) => e.name === "staging")!;
    return { project, staging, token: fake().mintProjectToken(project.id, staging.id) };
  };

  it("sends RAILWAY_API_TOKEN as a bearer token and gives the stack a project of its own", async () => {
    const from = fake().requests.length;
    const created = await createProject(projectInputs("account-token", { datastores: [] }));
    expect(authOf(from)).toEqual(new Set(["bearer"]));
    expect(created.outs.ownsProject).toBe(true);
    await deleteProject(created.id, created.outs);
  });

  it("sends RAILWAY_TOKEN in the project-access-token header and deploys into that token's project and environment", async () => {
    const { project, staging, token } = existingProject("existing-project");
    delete process.env.RAILWAY_API_TOKEN;
    process.env.RAILWAY_TOKEN = token;
    const from = fake().requests.length;
    const projectsBefore = fake().world.projects.size;

    const created = await createProject(projectInputs("ignored-name"));
    expect(authOf(from)).toEqual(new Set(["project-access-token"]));
    expect(fake().world.projects.size).toBe(projectsBefore);
    expect(created).toMatchObject({ id: project.id, outs: { projectId: project.id, environmentId: staging.id, ownsProject: false } });
    const inStaging = () => project.services.filter((s) => s.environmentIds.includes(staging.id)).map((s) => s.name);
    expect(inStaging()).toEqual(["Postgres", "Redis", "app"]);
    expect(fake().world.rendered(project.id, staging.id, created.outs.serviceId).unresolved).toEqual([]);

    await updateProject(created.id, created.outs, projectInputs("ignored-name", { env: { PORT: "8080" } }));
    expect(project.variables[staging.id]?.[created.outs.serviceId]?.PORT).toBe("8080");
    expect((await readProject(created.id, created.outs)).id).toBe(project.id);

    // The project is not the product's: deleting the stack removes the services it made from the token's environment.
    await deleteProject(created.id, created.outs);
    expect(fake().world.projects.has(project.id)).toBe(true);
    expect(inStaging()).toEqual([]);
  });

  it("prefers RAILWAY_TOKEN for a create when both are set, as Railway's CLI does, and the account token for the project it made", async () => {
    const { project, token } = existingProject("both-tokens");
    process.env.RAILWAY_TOKEN = token;
    const created = await createProject(projectInputs("both", { datastores: [] }));
    expect(created.outs).toMatchObject({ projectId: project.id, ownsProject: false });
    await deleteProject(created.id, created.outs);

    delete process.env.RAILWAY_TOKEN;
    const owned = await createProject(projectInputs("both-owned", { datastores: [] }));
    process.env.RAILWAY_TOKEN = token;
    const from = fake().requests.length;
    await deleteProject(owned.id, owned.outs);
    expect(authOf(from)).toEqual(new Set(["bearer"]));
    expect(fake().world.projects.has(owned.id)).toBe(false);
  });

  it("refuses to deploy a stack into a project token's environment of another name", async () => {
    const { project } = existingProject("other-environment");
    const production = project.environments.find((e) => e.name === "production")!;
    delete process.env.RAILWAY_API_TOKEN;
    process.env.RAILWAY_TOKEN = fake().mintProjectToken(project.id, production.id);
    const error = await createProject(projectInputs("staging-stack")).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      "RAILWAY_TOKEN is a project token for environment 'production' of Railway project 'other-environment', but this stack deploys to 'staging': " +
        "use a project token of that environment, or set RAILWAY_API_TOKEN (an account or workspace token) to give the stack a project of its own",
    );
    expect(project.services).toEqual([]);
  });

  it("removes the services it made, and keeps the project, when a create with a project token fails", async () => {
    const { project, staging, token } = existingProject("failing-project-token");
    delete process.env.RAILWAY_API_TOKEN;
    process.env.RAILWAY_TOKEN = token;
    fake().failNext(500, 10, "serviceCreate");
    await expect(createProject(projectInputs("x"))).rejects.toThrow(/serviceCreate failed \(HTTP 500\)/);
    expect(fake().world.projects.has(project.id)).toBe(true);
    expect(project.services.filter((s) => s.environmentIds.includes(staging.id))).toEqual([]);
  });

  it("names RAILWAY_TOKEN when Railway does not know the project token", async () => {
    delete process.env.RAILWAY_API_TOKEN;
    process.env.RAILWAY_TOKEN = "not-a-project-token";
    await expect(createProject(projectInputs("x"))).rejects.toThrow(
      "Railway projectToken failed: Project Token not found; check RAILWAY_TOKEN (a project token, which deploys into its own project's environment)",
    );
  });
});
