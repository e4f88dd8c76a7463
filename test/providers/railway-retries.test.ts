import { describe, expect, it } from "vitest";
import { PROJECT_MARKER_PREFIX } from "../../src/components/railway/api";
import { createProject, deleteProject, readProject } from "../../src/components/railway/provider-impl";
import { FAKE_WORKSPACES } from "../fakes/railway-api";
import { projectInputs, useFakeRailway } from "./railway-env";

// Retries and unseen creates against a local FAKE of Railway's GraphQL API that injects failures (Railway cannot be
// reached here).

describe("Railway provider: retries and creates that may have succeeded unseen, against a fake Railway API", () => {
  const fake = useFakeRailway();
  const named = (name: string) => [...fake().world.projects.values()].filter((p) => p.name === name);
  const callsOf = (operation: string, from: number) => fake().calls.slice(from).filter((c) => c === operation).length;

  it("retries a 429 and a 500, then succeeds", async () => {
    fake().failNext(429, 1, "projectCreate");
    fake().failNext(500, 1, "projectCreate");
    const created = await createProject(projectInputs("retried"));
    expect(fake().world.projects.has(created.id)).toBe(true);
    await deleteProject(created.id, created.outs);
  });

  it("deletes the half-made project when a later call keeps failing with 500", async () => {
    const before = fake().world.projects.size;
    fake().failNext(500, 10, "serviceCreate");
    const error = await createProject(projectInputs("orphan-check")).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Railway serviceCreate failed \(HTTP 500\)/);
    expect(fake().world.projects.size).toBe(before);
  });

  it("adopts the project a create made before timing out, leaving exactly one", async () => {
    const from = fake().calls.length;
    fake().failNext("timeout", 1, "projectCreate", { afterActing: true });
    const created = await createProject(projectInputs("timed-out-project"));
    expect(named("timed-out-project").map((p) => p.id)).toEqual([created.id]);
    expect(callsOf("projectCreate", from)).toBe(1);
    expect(fake().world.projects.get(created.id)!.description).toMatch(new RegExp(`^${PROJECT_MARKER_PREFIX}`));
    expect(fake().world.projects.get(created.id)!.services.map((s) => s.name)).toEqual(["Postgres", "Redis", "app"]);
    await deleteProject(created.id, created.outs);
  });

  it("creates the project in RAILWAY_WORKSPACE_ID and finds it among that workspace's projects after an unseen create", async () => {
    process.env.RAILWAY_WORKSPACE_ID = FAKE_WORKSPACES.team;
    const from = fake().calls.length;
    fake().failNext(502, 1, "projectCreate", { afterActing: true });
    const created = await createProject(projectInputs("workspace-project", { datastores: [] }));
    expect(named("workspace-project").map((p) => [p.id, p.workspaceId])).toEqual([[created.id, FAKE_WORKSPACES.team]]);
    // Railway's root `projects` does not list a workspace's projects, so the lookup asks the workspace.
    expect(callsOf("workspaceProjects", from)).toBe(1);
    expect(callsOf("projects", from)).toBe(0);
    await deleteProject(created.id, created.outs);
  });

  it("adopts the project a create made before answering 502, leaving exactly one", async () => {
    fake().failNext(502, 1, "projectCreate", { afterActing: true });
    const created = await createProject(projectInputs("bad-gateway-project"));
    expect(named("bad-gateway-project").map((p) => p.id)).toEqual([created.id]);
    await deleteProject(created.id, created.outs);
  });

  it("creates the project again when the first attempt failed before Railway acted", async () => {
    const from = fake().calls.length;
    fake().failNext(502, 1, "projectCreate");
    const created = await createProject(projectInputs("second-try-project"));
    expect(named("second-try-project").map((p) => p.id)).toEqual([created.id]);
    expect(callsOf("projectCreate", from)).toBe(2);
    await deleteProject(created.id, created.outs);
  });

  it("never adopts another project that only shares the name", async () => {
    const other = await createProject(projectInputs("shared-name", { datastores: [] }));
    fake().failNext(502, 1, "projectCreate");
    const created = await createProject(projectInputs("shared-name", { datastores: [] }));
    expect(created.id).not.toBe(other.id);
    expect(named("shared-name")).toHaveLength(2);
    await deleteProject(created.id, created.outs);
    await deleteProject(other.id, other.outs);
  });

  it("adopts a service whose create timed out after Railway made it, leaving exactly one", async () => {
    const from = fake().calls.length;
    fake().failNext("timeout", 1, "serviceCreate", { afterActing: true });
    const created = await createProject(projectInputs("service-timeout", { datastores: [] }));
    expect(fake().world.projects.get(created.id)!.services.map((s) => s.id)).toEqual([created.outs.serviceId]);
    expect(callsOf("serviceCreate", from)).toBe(1);
    await deleteProject(created.id, created.outs);
  });

  it("adopts a database whose template deploy timed out after Railway made it, leaving exactly one", async () => {
    const from = fake().calls.length;
    fake().failNext("timeout", 1, "templateDeployV2", { afterActing: true });
    const created = await createProject(projectInputs("template-timeout", { datastores: [{ engine: "postgres", connectionEnv: "DATABASE_URL" }] }));
    expect(fake().world.projects.get(created.id)!.services.map((s) => s.name)).toEqual(["Postgres", "app"]);
    expect(callsOf("templateDeployV2", from)).toBe(1);
    expect(created.outs.datastoreReferences).toEqual({ postgres: "${{Postgres.DATABASE_URL}}" });
    await deleteProject(created.id, created.outs);
  });

  it("retries a read that answers 503", async () => {
    const created = await createProject(projectInputs("read-retry", { datastores: [] }));
    const from = fake().calls.length;
    fake().failNext(503, 2, "project");
    expect((await readProject(created.id, created.outs)).id).toBe(created.id);
    expect(callsOf("project", from)).toBe(3);
    await deleteProject(created.id, created.outs);
  });

  it("counts a delete answered 502 after deleting, then 404 on the retry, as deleted", async () => {
    const created = await createProject(projectInputs("delete-retry", { datastores: [] }));
    const from = fake().calls.length;
    fake().failNext(502, 1, "projectDelete", { afterActing: true });
    fake().failNext(404, 1, "projectDelete");
    await expect(deleteProject(created.id, created.outs)).resolves.toBeUndefined();
    expect(callsOf("projectDelete", from)).toBe(2);
    expect(fake().world.projects.has(created.id)).toBe(false);
  });

  it("counts a delete answered 502 after deleting, then Railway's not-found error on the retry, as deleted", async () => {
    const created = await createProject(projectInputs("delete-not-found", { datastores: [] }));
    fake().failNext(502, 1, "projectDelete", { afterActing: true });
    await expect(deleteProject(created.id, created.outs)).resolves.toBeUndefined();
    expect(fake().world.projects.has(created.id)).toBe(false);
  });
});
