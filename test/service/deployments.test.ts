import { randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, realpath, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDatabase } from "../../src/service/database";
import { stackLockDir, PROJECT_NAME } from "../../src/automation/index";
import { acceptDeployment } from "../../src/service/acceptance";
import { verifyServiceAudit } from "../../src/service/audit";
import { storeBundle } from "../../src/service/repositories/bundles";
import { DEPLOYMENTS_QUEUE } from "../../src/service/queue";
import { createToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");

/** Deployments through the API, the queue on a real PostgreSQL and a worker, deploying for real on the local target. */
describe("deployments through the service's queue", () => {
  let root = "";
  let sourceRoot = "";
  let service: ServiceHarness;
  let database: ServiceDatabase;
  let base = "";
  let token = "";
  const stacks: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-service-"));
    sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "site"), { recursive: true });
    // A second version of the site, told apart by its page.
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "site-v2"), { recursive: true });
    await writeFile(path.join(sourceRoot, "site-v2", "index.html"), "<!doctype html><h1>version two</h1>");
    service = await startServiceHarness(root, sourceRoot);
    ({ database, base } = service);
    token = (await createToken(database.pool, ["*"], "deploy")).token;
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
  }, 180_000);

  async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function finished(id: string, timeoutMs = 150_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await call("GET", `/v1/deployments/${id}`);
      if (answer.body.status === "succeeded" || answer.body.status === "failed") return answer.body;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
  }

  it("queues a deployment (202), runs it on a worker, and reports the brief's success object; a repeated Idempotency-Key returns it", async () => {
    const projectId = uniqueId("svc");
    stacks.push(`${projectId}.development`);
    const request = { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", version_name: "v1" };
    const queued = await call("POST", "/v1/deployments", request, { "idempotency-key": `${projectId}-1` });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", project_id: projectId, stack: `${projectId}.development`, result: null });
    const again = await call("POST", "/v1/deployments", request, { "idempotency-key": `${projectId}-1` });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(queued.body.id);

    const done = await finished(queued.body.id as string);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, result: { status: "success", deployed_to: "local", stack: `${projectId}.development` } });
    const url = (done.result as { url: string }).url;
    expect(await (await fetch(url)).text()).toContain("<");

    const events = await database.pool.query("select line from deployment_planner.deployment_events where deployment_id = $1 order by seq", [queued.body.id]);
    expect(events.rows.map((r: { line: string }) => r.line)).toEqual(expect.arrayContaining([expect.stringMatching(/^deploying /)]));

    // The event stream replays the progress lines, then ends with the result; Last-Event-ID resumes after a line.
    const stream = await (await fetch(`${base}/v1/deployments/${queued.body.id}/events`, { headers: { authorization: `Bearer ${token}` } })).text();
    const frames = stream.split("\n\n").filter(Boolean);
    expect(frames.length).toBe(events.rows.length + 1);
    expect(frames[0]).toMatch(/^id: \d+\nevent: progress\ndata: \{/);
    expect(frames.at(-1)).toMatch(/^event: result\ndata: /);
    expect(JSON.parse(frames.at(-1)!.split("data: ")[1]!)).toMatchObject({ id: queued.body.id, status: "succeeded" });
    const firstId = /^id: (\d+)/.exec(frames[0]!)![1]!;
    const resumed = await (await fetch(`${base}/v1/deployments/${queued.body.id}/events`, { headers: { authorization: `Bearer ${token}`, "last-event-id": firstId } })).text();
    expect(resumed.split("\n\n").filter(Boolean)).toHaveLength(frames.length - 1);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^deployment_planner_queue_depth 0$/m);
    expect(metrics).toMatch(/^deployment_planner_deployments_finished_total\{outcome="succeeded",stage=""\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^deployment_planner_deployment_duration_seconds_count\{outcome="succeeded",stage=""\} [1-9]/m);
  });

  it("never queues a request that cannot be planned, and hides other projects' deployments", async () => {
    const refused = await call("POST", "/v1/deployments", { project_id: "svc-bad", deployment_type: "static_site", tech_stack: ["HTML"], target: "vercel", environment: { ENV: "development" }, rollout: "canary", source: "site" });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ status: "error", stage: "plan" });
    expect((await database.pool.query("select count(*)::int as n from deployment_planner.deployments where project_id = 'svc-bad'")).rows[0]).toEqual({ n: 0 });

    const other = (await createToken(database.pool, ["elsewhere"], "admin")).token;
    const any = (await database.pool.query("select id from deployment_planner.deployments limit 1")).rows[0] as { id: string };
    const hidden = await fetch(`${base}/v1/deployments/${any.id}`, { headers: { authorization: `Bearer ${other}` } });
    expect(hidden.status).toBe(404);
    expect((await call("GET", "/v1/deployments/not-a-uuid")).status).toBe(404);
  });

  it("plans, deploys a second version, lists the stack, reads its history and app log, rolls back and destroys through the API", async () => {
    const projectId = uniqueId("svcstack");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const request = (source: string, versionName: string) => ({ project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: versionName });

    const planned = await call("POST", "/v1/plan", request("site", "v1"));
    expect(planned.status).toBe(200);
    expect(planned.body).toMatchObject({ status: "planned", spec: { stack, target: "local" } });
    expect((await call("GET", `/v1/stacks/${projectId}/development`)).status).toBe(404);

    const first = await finished((await call("POST", "/v1/deployments", request("site", "v1"))).body.id as string);
    expect(first).toMatchObject({ status: "succeeded", operation: "deploy" });
    const second = await finished((await call("POST", "/v1/deployments", request("site-v2", "v2"))).body.id as string);
    expect(second).toMatchObject({ status: "succeeded", result: { version_name: "v2" } });
    const url = (second.result as { url: string }).url;
    expect(await (await fetch(url)).text()).toContain("version two");

    // The masked engine log of a finished deployment, served from the database.
    const log = await fetch(`${base}/v1/deployments/${second.id}/log`, { headers: { authorization: `Bearer ${token}` } });
    expect(log.status).toBe(200);
    expect(log.headers.get("content-type")).toMatch(/^text\/plain/);
    expect((await log.text()).length).toBeGreaterThan(0);
    expect(second.result).not.toHaveProperty("log_file");

    const listed = await call("GET", `/v1/stacks?project_id=${projectId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.stacks).toEqual([expect.objectContaining({ stack, project_id: projectId, environment: "development", version_name: "v2", url })]);
    const one = await call("GET", `/v1/stacks/${projectId}/development`);
    expect(one.body).toMatchObject({ stack, version_name: "v2", outputs: expect.objectContaining({ url }) });
    const history = await call("GET", `/v1/stacks/${projectId}/development/history`);
    expect(history.status).toBe(200);
    const entries = history.body.history as { version: number; result: string }[];
    expect(entries.filter((entry) => entry.result === "succeeded")).toHaveLength(2);
    const appLog = await call("GET", `/v1/stacks/${projectId}/development/logs?lines=50`);
    expect(appLog.status).toBe(200);
    expect(appLog.body).toMatchObject({ stack, release: expect.any(String), lines: expect.any(Array) });

    // Promotion: queued on the target's stack, which then runs the source's version.
    const promoting = await call("POST", `/v1/stacks/${projectId}/promote`, { from: "development", to: "staging" });
    expect(promoting.status).toBe(202);
    expect(promoting.body).toMatchObject({ operation: "promote", stack: `${projectId}.staging` });
    stacks.push(`${projectId}.staging`);
    expect(await finished(promoting.body.id as string)).toMatchObject({ status: "succeeded", result: { status: "success" } });
    expect((await call("GET", `/v1/stacks/${projectId}/staging`)).body).toMatchObject({ version_name: "v2" });
    expect((await call("POST", `/v1/stacks/${projectId}/promote`, { from: "development", to: "development" })).status).toBe(400);

    // A read token of another project learns nothing of the stack; a deploy token may not destroy it.
    const stranger = (await createToken(database.pool, ["elsewhere"], "admin")).token;
    expect((await fetch(`${base}/v1/stacks/${projectId}/development`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(404);
    expect((await call("DELETE", `/v1/stacks/${projectId}/development`)).status).toBe(403);

    // Rollback: queued like a deployment, run by the worker, and the URL serves the first version again.
    const rolling = await call("POST", `/v1/stacks/${projectId}/development/rollback`, { to: "v1" });
    expect(rolling.status).toBe(202);
    expect(rolling.body).toMatchObject({ operation: "rollback", stack, status: "queued" });
    const rolledBack = await finished(rolling.body.id as string);
    expect(rolledBack).toMatchObject({ status: "succeeded", operation: "rollback", result: { status: "success", version_name: "v1" } });
    expect(await (await fetch(url)).text()).not.toContain("version two");
    expect((await call("POST", `/v1/stacks/${projectId}/development/rollback`, { to: { bad: true } })).status).toBe(400);

    // Destroy needs an admin token; the stack's resources go and the URL stops answering.
    const admin = (await createToken(database.pool, [projectId], "admin")).token;
    const destroying = await fetch(`${base}/v1/stacks/${projectId}/development?remove=true`, { method: "DELETE", headers: { authorization: `Bearer ${admin}` } });
    expect(destroying.status).toBe(202);
    const destroyed = await finished(((await destroying.json()) as { id: string }).id);
    expect(destroyed).toMatchObject({ status: "succeeded", operation: "destroy", result: { status: "success", destroyed: true, stack_removed: true } });
    await expect(fetch(url)).rejects.toThrow();
    expect((await call("GET", `/v1/stacks/${projectId}/development`)).status).toBe(404);

    // The audit trail in the service's database has each operation, chained; an edited entry breaks the chain.
    const audit = await fetch(`${base}/v1/audit?stack=${stack}&verify=true`, { headers: { authorization: `Bearer ${admin}` } });
    expect(audit.status).toBe(200);
    const trail = (await audit.json()) as { entries: { action: string; status: string; stack: string }[]; chain: { intact: boolean } };
    expect(trail.entries.filter((e) => e.status === "success").map((e) => e.action)).toEqual(["deploy", "deploy", "rollback", "destroy"]);
    expect(trail.chain.intact).toBe(true);
    expect((await fetch(`${base}/v1/audit`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(403);
    const edited = await database.pool.query<{ seq: string; entry: string }>("select seq, entry::text as entry from deployment_planner.audit_entries where entry->>'stack' = $1 order by seq limit 1", [stack]);
    const original = edited.rows[0]!;
    await database.pool.query("update deployment_planner.audit_entries set entry = $2::json where seq = $1", [original.seq, original.entry.replace('"success"', '"error"')]);
    expect(await verifyServiceAudit(database.pool)).toMatchObject({ intact: false, firstBad: { reason: expect.stringContaining("edited") } });
    await database.pool.query("update deployment_planner.audit_entries set entry = $2::json where seq = $1", [original.seq, original.entry]);
    expect((await verifyServiceAudit(database.pool)).intact).toBe(true);
  });

  it("breaks the lock that a worker on another machine left when its job moved here, then completes the job", async () => {
    const projectId = uniqueId("svclost");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const request = { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site" };
    expect(await finished((await call("POST", "/v1/deployments", { ...request, version_name: "v1" })).body.id as string)).toMatchObject({ status: "succeeded" });

    // What a worker on another machine leaves when it dies mid-update: the engine's lock (held by a process this
    // machine cannot check), and a record still running under its name, whose job the queue hands on.
    const lockDir = stackLockDir(service.workspace, PROJECT_NAME, stack)!;
    await mkdir(lockDir, { recursive: true });
    await writeFile(path.join(lockDir, `${randomUUID()}.json`), JSON.stringify({ pid: 4242, username: "deployer", hostname: "lost-worker-host", timestamp: new Date().toISOString() }));
    const id = randomUUID();
    // Accepted as the API accepts it: planned, and its source packaged into a stored bundle.
    const accepted = await acceptDeployment({ ...request, version_name: "v2" }, { grant: { sources: [await realpath(sourceRoot)], secrets: [] }, baseDir: sourceRoot });
    if ("failure" in accepted || !accepted.bundle) throw new Error("the request was not accepted");
    await storeBundle(database.pool, accepted.bundle);
    await database.pool.query(
      `insert into deployment_planner.deployments (id, token_id, project_id, stack, request, status, attempts, started_at, worker, planned, bundle_digest)
       values ($1, 'test', $2, $3, $4, 'running', 1, now(), 'lost-worker-host:4242:1700000000000', $5, $6)`,
      [id, projectId, stack, JSON.stringify({ ...request, version_name: "v2" }), JSON.stringify(accepted.planned), accepted.bundle.digest],
    );
    await service.queue.send(DEPLOYMENTS_QUEUE, { deployment_id: id }, { singletonKey: stack, retryLimit: 0, retryDelay: 1, retryBackoff: false, expireInSeconds: 600 });

    const done = await finished(id, 120_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2, result: { status: "success", version_name: "v2" } });
    const lines = (await database.pool.query<{ line: string }>("select line from deployment_planner.deployment_events where deployment_id = $1 order by seq", [id])).rows.map((r) => r.line);
    expect(lines[0]).toMatch(/^broke the stale lock of .*: its holder's worker on lost-worker-host stopped beating/);
    expect(await readdir(lockDir)).toEqual([]);
  });
});
