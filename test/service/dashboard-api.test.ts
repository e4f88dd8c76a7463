import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");

/** Steps slow enough that a test acts on the rollout while its first step is observed. */
const SLOW_CANARY = { strategy: "canary", steps: [10, 50, 100], step_interval_seconds: 30, max_error_rate: 0.5, min_requests: 5 };

/** The routes a person's screens use beside the older ones, against a real database, engine and local target. */
describe("the API routes behind the dashboard", () => {
  let root = "";
  let sourceRoot = "";
  let service: ServiceHarness;
  let base = "";
  const projectId = uniqueId("dash");
  const tokens = { deploy: "", read: "", admin: "", other: "" };
  const stacks: string[] = [`${projectId}.development`, `${projectId}.staging`, `${projectId}.production`];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-dash-api-"));
    sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "site"), { recursive: true });
    for (const [version, body] of [["v1", "stable"], ["v2", "canary-two"], ["v3", "canary-three"]] as const) {
      const dir = path.join(sourceRoot, `api-${version}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "server.js"), `require("node:http").createServer((q, s) => s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT), "127.0.0.1");\n`);
      await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `api-${version}`, scripts: { start: "node server.js" } }));
    }
    service = await startServiceHarness(root, sourceRoot);
    base = service.base;
    const pool = service.database.pool;
    tokens.deploy = (await createToken(pool, [projectId], "deploy", "dana")).token;
    tokens.read = (await createToken(pool, [projectId], "read", "reader")).token;
    tokens.admin = (await createToken(pool, [projectId], "admin", "ada")).token;
    tokens.other = (await createToken(pool, ["elsewhere"], "admin", "stranger")).token;
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
  }, 180_000);

  async function call(token: string, method: string, route: string, body?: unknown) {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async function finished(id: string, timeoutMs = 150_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await call(tokens.deploy, "GET", `/v1/deployments/${id}`);
      if (answer.body.status === "succeeded" || answer.body.status === "failed") return answer.body;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
  }

  const siteRequest = (environment: string, versionName: string) => ({
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: environment },
    source: "site",
    version_name: versionName,
  });

  async function deploymentCount(): Promise<number> {
    const rows = await service.database.pool.query("select count(*)::int as n from deployment_planner.deployments where project_id = $1", [projectId]);
    return (rows.rows[0] as { n: number }).n;
  }

  it("previews a valid request with the engine (plan and changes, nothing queued) and answers an invalid one with 422 and each problem by its field path", async () => {
    const previewed = await call(tokens.deploy, "POST", "/v1/preview", siteRequest("development", "v1"));
    expect(previewed.status, JSON.stringify(previewed.body)).toBe(200);
    expect(previewed.body.plan).toMatchObject({ status: "planned", spec: { stack: `${projectId}.development`, target: "local" } });
    expect(previewed.body.preview.changes.create).toBeGreaterThan(0);
    expect(previewed.body.preview.steps).toEqual(expect.arrayContaining([expect.objectContaining({ op: "create", type: expect.any(String), name: expect.any(String) })]));
    expect(await deploymentCount()).toBe(0);
    // One engine preview at a time per token: a second one meanwhile is refused at once.
    const both = await Promise.all([1, 2].map(() => call(tokens.deploy, "POST", "/v1/preview", siteRequest("development", "v1"))));
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 429]);
    expect(both.find((answer) => answer.status === 429)!.body).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("preview") });
    // Nothing was deployed: the stack has no stack file, so it is not listed.
    const listed = await call(tokens.read, "GET", `/v1/stacks?project_id=${projectId}`);
    expect(listed.body.stacks).toEqual([]);

    const invalid = await call(tokens.deploy, "POST", "/v1/preview", { ...siteRequest("development", "v1"), environment: { ENV: "development", REGION: "moon-1" }, rollout: { strategy: "canary", steps: [10, 500] } });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({ status: "error", stage: "validation" });
    const paths = (invalid.body.fields as { path: string; message: string }[]).map((field) => field.path);
    expect(paths).toEqual(["rollout.steps.1", "rollout.steps"]);
    // POST /v1/plan names the fields the same way.
    const planned = await call(tokens.read, "POST", "/v1/plan", { ...siteRequest("development", "v1"), environment: { ENV: "development", REGION: "moon-1" } });
    expect(planned.status).toBe(400);
    expect(planned.body.fields).toEqual([expect.objectContaining({ path: "environment.REGION", message: expect.stringContaining("moon-1") })]);
  }, 180_000);

  it("lists recent deployments newest first with who and which version, redeploys the current spec, and promotes as a dry run without queueing", async () => {
    const first = await call(tokens.deploy, "POST", "/v1/deployments", siteRequest("development", "v1"));
    expect(first.status).toBe(202);
    expect(await finished(first.body.id)).toMatchObject({ status: "succeeded" });
    const second = await call(tokens.deploy, "POST", "/v1/deployments", siteRequest("development", "v2"));
    expect(await finished(second.body.id)).toMatchObject({ status: "succeeded" });

    const redeploy = await call(tokens.deploy, "POST", `/v1/stacks/${projectId}/development/redeploy`, {});
    expect(redeploy.status, JSON.stringify(redeploy.body)).toBe(202);
    const redeployed = await finished(redeploy.body.id);
    expect(redeployed, JSON.stringify(redeployed.result)).toMatchObject({ status: "succeeded", operation: "deploy", result: { status: "success", version_name: "v2" } });
    expect(await (await fetch(redeployed.result.url)).text()).toContain("<");

    const listed = await call(tokens.read, "GET", `/v1/deployments?project_id=${projectId}&environment=development&limit=10`);
    expect(listed.status).toBe(200);
    expect(listed.body.deployments.map((d: { id: string }) => d.id)).toEqual([redeploy.body.id, second.body.id, first.body.id]);
    expect(listed.body.deployments[2]).toMatchObject({ operation: "deploy", status: "succeeded", environment: "development", requested_by_name: "dana", version_name: "v1", failure: null, url: expect.stringMatching(/^http/) });
    // One deployment read alone carries the request it was submitted with, so the next one can start from it.
    const firstRecord = await call(tokens.read, "GET", `/v1/deployments/${first.body.id}`);
    expect(firstRecord.body.request).toMatchObject({ project_id: projectId, environment: { ENV: "development" }, version_name: "v1" });
    expect(listed.body.deployments[0].request).toBeUndefined();
    expect((await call(tokens.read, "GET", "/v1/deployments?limit=0")).status).toBe(400);
    expect((await call(tokens.other, "GET", `/v1/deployments?project_id=${projectId}`)).status).toBe(403);
    expect((await call(tokens.other, "GET", "/v1/deployments")).body.deployments).toEqual([]);

    const before = await deploymentCount();
    const dryRun = await call(tokens.deploy, "POST", `/v1/stacks/${projectId}/promote`, { from: "development", to: "staging", dry_run: true });
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(200);
    expect(dryRun.body).toMatchObject({ from: "development", to: "staging", stack: `${projectId}.staging`, promoted_from: { version_name: "v2" } });
    expect(dryRun.body.diff).toMatch(/^\+.*staging/m);
    expect(dryRun.body.preview.changes.create).toBeGreaterThan(0);
    expect(await deploymentCount()).toBe(before);
    expect((await call(tokens.read, "GET", `/v1/stacks/${projectId}/staging`)).status).toBe(404);

    // History: who, result, digest, and which entries a rollback may take.
    const history = await call(tokens.read, "GET", `/v1/stacks/${projectId}/development/history`);
    expect(history.status).toBe(200);
    const entries = history.body.history as Record<string, unknown>[];
    expect(entries[0]).toMatchObject({ result: "succeeded", deployer_name: "dana", version_name: "v2", current: true, rollback_allowed: false, bundle_digest: expect.stringMatching(/^sha256:/) });
    expect(entries.find((entry) => entry.version_name === "v1")).toMatchObject({ version: 1, current: false, rollback_allowed: true, deployer_name: "dana" });

    // The stack list carries what a lane shows, and the promotion order.
    const stacksList = await call(tokens.read, "GET", `/v1/stacks?project_id=${projectId}`);
    expect(stacksList.body.promotion_order).toEqual(["development", "staging", "production"]);
    expect(stacksList.body.stacks).toEqual([
      expect.objectContaining({ project_id: projectId, environment: "development", preview: false, locked: false, version: entries[0]!.version, version_name: "v2", last_update_by_name: "dana", health: "serving" }),
    ]);
  }, 400_000);

  it("filters the audit trail by project, stack and action and reports the chain's verification", async () => {
    const all = await call(tokens.admin, "GET", `/v1/audit?project_id=${projectId}`);
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.entries.length).toBeGreaterThan(0);
    expect(all.body.entries.every((entry: { stack: string }) => entry.stack.startsWith(`${projectId}.`))).toBe(true);
    expect(all.body.verification).toMatchObject({ verified: true, entries: expect.any(Number) });
    const deploys = await call(tokens.admin, "GET", `/v1/audit?project_id=${projectId}&action=deploy&stack=${projectId}.development`);
    expect(deploys.body.entries.length).toBeGreaterThan(0);
    expect(deploys.body.entries.every((entry: { action: string; stack: string }) => entry.action === "deploy" && entry.stack === `${projectId}.development`)).toBe(true);
    expect((await call(tokens.admin, "GET", "/v1/audit?action=<script>")).status).toBe(400);
    expect((await call(tokens.admin, "GET", `/v1/audit?project_id=${projectId}&stack=elsewhere.development`)).status).toBe(400);
    expect((await call(tokens.other, "GET", `/v1/audit?project_id=${projectId}`)).status).toBe(403);
  }, 60_000);

  it("refuses every new state-changing route to a read token (403) and another project's token (404 or 403)", async () => {
    const routes: [string, string, unknown][] = [
      ["POST", "/v1/preview", siteRequest("development", "v9")],
      ["POST", `/v1/stacks/${projectId}/development/redeploy`, {}],
      ["POST", `/v1/stacks/${projectId}/development/rollout/abort`, {}],
      ["POST", `/v1/stacks/${projectId}/development/rollout/promote`, {}],
      ["POST", `/v1/stacks/${projectId}/promote`, { from: "development", to: "staging", dry_run: true }],
    ];
    for (const [method, route, body] of routes) {
      expect((await call(tokens.read, method, route, body)).status, `${method} ${route}`).toBe(403);
      expect([403, 404], `${method} ${route}`).toContain((await call(tokens.other, method, route, body)).status);
    }
    expect((await call(tokens.other, "GET", `/v1/stacks/${projectId}/development/rollout`)).status).toBe(404);
    expect((await call(tokens.deploy, "POST", `/v1/stacks/${projectId}/development/rollout/abort`, {})).status).toBe(409);
  }, 60_000);

  it("aborts a slow canary (the stable release serves, the deployment fails at verify with the reason) and completes another at once", async () => {
    const stack = `${projectId}.production`;
    const apiRequest = (version: string) => ({
      project_id: projectId,
      deployment_type: "api",
      tech_stack: ["Node.js"],
      target: "local",
      environment: { ENV: "production" },
      source: `api-${version}`,
      version_name: version,
      rollout: SLOW_CANARY,
    });
    const first = await finished((await call(tokens.deploy, "POST", "/v1/deployments", apiRequest("v1"))).body.id);
    expect(first, JSON.stringify(first.result)).toMatchObject({ status: "succeeded" });
    const url = first.result.url as string;

    const runningCanary = async () => {
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        const rollout = await call(tokens.read, "GET", `/v1/stacks/${projectId}/production/rollout`);
        if (rollout.body.rollout?.status === "running") return rollout.body.rollout;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error("no rollout started");
    };

    const second = await call(tokens.deploy, "POST", "/v1/deployments", apiRequest("v2"));
    const rollout = await runningCanary();
    expect(rollout).toMatchObject({ step: 1, weight: 10, steps: [10, 50, 100], step_counts: { canary: { requests: expect.any(Number) } } });
    expect(rollout.time_left_ms).toBeGreaterThan(30_000);
    const aborted = await call(tokens.deploy, "POST", `/v1/stacks/${projectId}/production/rollout/abort`, { reason: "checkout errors seen by support" });
    expect(aborted.status, JSON.stringify(aborted.body)).toBe(200);
    expect(aborted.body.rollout).toMatchObject({ status: "aborted", reason: "checkout errors seen by support", weight: 0 });
    const failed = await finished(second.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.result).toMatchObject({ stage: "verify" });
    expect(String(failed.result.reason)).toContain("checkout errors seen by support");
    for (let i = 0; i < 10; i += 1) expect(await (await fetch(url)).text()).toBe("stable");

    const third = await call(tokens.deploy, "POST", "/v1/deployments", apiRequest("v3"));
    await runningCanary();
    const promoted = await call(tokens.deploy, "POST", `/v1/stacks/${projectId}/production/rollout/promote`, {});
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(200);
    expect(promoted.body.rollout).toMatchObject({ status: "completed", weight: 100 });
    const done = await finished(third.body.id, 60_000);
    expect(done, JSON.stringify(done.result)).toMatchObject({ status: "succeeded", result: { version_name: "v3" } });
    for (let i = 0; i < 10; i += 1) expect(await (await fetch(url)).text()).toBe("canary-three");

    // Both are in the audit trail with the caller's principal.
    const trail = await call(tokens.admin, "GET", `/v1/audit?stack=${stack}`);
    const actions = (trail.body.entries as { action: string; actor: string }[]).filter((entry) => entry.action.startsWith("rollout_"));
    expect(actions.map((entry) => entry.action)).toEqual(["rollout_abort", "rollout_promote"]);
    expect(actions.every((entry) => trail.body.principals[entry.actor] === "dana")).toBe(true);
  }, 400_000);
});
