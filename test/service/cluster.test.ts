import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceDataDir } from "../../src/automation/index";
import type { ServiceDatabase } from "../../src/service/database";
import { serviceAudit, verifyServiceAudit } from "../../src/service/audit";
import { createToken } from "../../src/service/tokens";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { liveProcesses } from "../support/processes";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** A service process of the CLI, in a process group of its own (so a kill takes its engine processes too). */
interface ServiceChild {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/**
 * One API process and two worker processes of the CLI sharing one real PostgreSQL (queue, records and Pulumi state),
 * deploying for real on the local target: stacks keep their submission order across workers, and a worker killed in
 * the middle of a deployment hands it to the other, which completes it once.
 */
describe("the deployment service across processes", () => {
  let root = "";
  let sourceRoot = "";
  let workspaceDir = "";
  let database: ServiceDatabase;
  let databaseUrl = "";
  let token = "";
  let base = "";
  const children: ServiceChild[] = [];
  const projects = Array.from({ length: 5 }, (_, i) => uniqueId(`cl${i}`));

  function start(args: string[]): ServiceChild {
    const child = spawn(process.execPath, [BIN, ...args, "--workspace", workspaceDir, "--source-root", sourceRoot], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_HOME: path.join(root, "pulumi-home"),
        // A dead worker's job moves on after 10 s without its heartbeat (plus the queue's 10 s supervision).
        DEPLOYMENT_PLANNER_JOB_HEARTBEAT_SECONDS: "10",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const started = { child, exited: new Promise<number | null>((resolve) => child.on("close", resolve)), output: () => output };
    children.push(started);
    return started;
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    throw new Error(`${what}: not within ${timeoutMs} ms\n${children.map((c) => c.output().slice(-2000)).join("\n---\n")}`);
  }

  async function call(method: string, route: string, body?: unknown) {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const request = (projectId: string, version: string) => ({
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source: `site-${version}`,
    version_name: version,
  });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-cluster-"));
    sourceRoot = path.join(root, "sources");
    workspaceDir = path.join(root, "workspace");
    for (const version of ["v1", "v2", "v3", "v4", "v5"]) {
      await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, `site-${version}`), { recursive: true });
      await writeFile(path.join(sourceRoot, `site-${version}`, "index.html"), `<!doctype html><h1>release ${version}</h1>`);
    }
    // The test owns the server; every service process reaches it through DATABASE_URL, as on many machines.
    database = await openTestDatabase(workspaceDataDir(workspaceDir));
    const connection = database.connection as { host: string; port: number; user: string; password: string; database: string };
    databaseUrl = `postgres://${connection.user}:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}/${connection.database}`;
    token = (await createToken(database.pool, ["*"], "admin")).token;
    const api = start(["serve", "--api-only", "--port", "0"]);
    base = await waitFor("the API listens", async () => /listening on (http:\/\/[0-9.:]+)/.exec(api.output())?.[1], 120_000);
    start(["worker", "--concurrency", "2"]);
    start(["worker", "--concurrency", "2"]);
    await waitFor("both workers run", async () => children.filter((c) => /deployment worker running/.test(c.output())).length === 2, 120_000);
  }, 300_000);

  afterAll(async () => {
    for (const { child, exited } of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 40_000))]);
        if (!stopped) process.kill(-child.pid!, "SIGKILL");
      }
    }
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  }, 180_000);

  async function finished(ids: readonly string[], timeoutMs: number) {
    return waitFor(
      `${ids.length} deployment(s) finish`,
      async () => {
        const rows = await database.pool.query<{ id: string; status: string }>("select id, status from deployment_planner.deployments where id = any($1::uuid[])", [ids]);
        return rows.rows.length === ids.length && rows.rows.every((row) => row.status === "succeeded" || row.status === "failed");
      },
      timeoutMs,
      500,
    );
  }

  it("runs 20 deployments over 5 projects on two workers, each stack's in submission order, with no lock error", async () => {
    const ids: string[] = [];
    for (const version of ["v1", "v2", "v3", "v4"]) {
      for (const projectId of projects) {
        const queued = await call("POST", "/v1/deployments", request(projectId, version));
        expect(queued.status).toBe(202);
        ids.push(queued.body.id as string);
      }
    }
    await finished(ids, 900_000);
    const rows = (
      await database.pool.query<{ id: string; stack: string; status: string; attempts: number; worker: string; result: { status: string; reason?: string; version_name?: string }; created_at: Date; started_at: Date; finished_at: Date }>(
        "select id, stack, status, attempts, worker, result, created_at, started_at, finished_at from deployment_planner.deployments where id = any($1::uuid[]) order by created_at",
        [ids],
      )
    ).rows;
    expect(rows.filter((row) => row.status !== "succeeded").map((row) => row.result?.reason)).toEqual([]);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    // Both worker processes took a share.
    expect(new Set(rows.map((row) => row.worker.split(":").slice(0, 2).join(":"))).size).toBe(2);

    for (const projectId of projects) {
      const stack = `${projectId}.development`;
      const ofStack = rows.filter((row) => row.stack === stack);
      expect(ofStack.map((row) => row.result.version_name)).toEqual(["v1", "v2", "v3", "v4"]);
      // One at a time, in arrival order: each started after the one before it finished.
      for (let i = 1; i < ofStack.length; i += 1) expect(ofStack[i]!.started_at.getTime()).toBeGreaterThanOrEqual(ofStack[i - 1]!.finished_at.getTime());
      // The stack's history (in the shared PostgreSQL state) holds each update once, in the same order.
      const history = await call("GET", `/v1/stacks/${projectId}/development/history`);
      const updates = (history.body.history as { kind: string; result: string; versionName: string | null }[]).filter((entry) => entry.kind === "update").reverse();
      expect(updates.map((entry) => [entry.result, entry.versionName])).toEqual(["v1", "v2", "v3", "v4"].map((v) => ["succeeded", v]));
      // Both workers wrote to one audit trail in the database.
      const audit = await serviceAudit(database.pool, { stack });
      expect(audit.filter((entry) => entry.action === "deploy" && entry.status === "success").map((entry) => entry.version_name)).toEqual(["v1", "v2", "v3", "v4"]);
    }
    expect(await verifyServiceAudit(database.pool)).toMatchObject({ intact: true });
  }, 960_000);

  it("hands the deployment of a worker killed mid-run to the other worker, which completes it once", async () => {
    const projectId = projects[0]!;
    const queued = await call("POST", "/v1/deployments", request(projectId, "v5"));
    expect(queued.status).toBe(202);
    const id = queued.body.id as string;
    // Killed once the engine is at work on the stack's resources.
    const runner = await waitFor(
      "the deployment reaches the engine",
      async () => {
        const row = (await database.pool.query<{ worker: string | null; status: string }>("select worker, status from deployment_planner.deployments where id = $1", [id])).rows[0];
        if (row?.status !== "running" || !row.worker) return null;
        const lines = (await database.pool.query<{ line: string }>("select line from deployment_planner.deployment_events where deployment_id = $1", [id])).rows;
        return lines.some((l) => /^\s*[+~-]+ |creating|updating|replacing/i.test(l.line)) ? row.worker : null;
      },
      120_000,
      50,
    );
    const pid = Number(runner.split(":")[1]);
    const victim = children.find((c) => c.child.pid === pid);
    expect(victim, `worker ${pid} is one of this test's processes`).toBeDefined();
    process.kill(-pid, "SIGKILL");
    await victim!.exited;

    await finished([id], 240_000);
    const row = (await database.pool.query<{ status: string; attempts: number; worker: string; result: { status: string; url: string; reason?: string } }>("select status, attempts, worker, result from deployment_planner.deployments where id = $1", [id])).rows[0]!;
    expect(row.result.reason).toBeUndefined();
    expect(row).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(Number(row.worker.split(":")[1])).not.toBe(pid);
    expect(await (await fetch(row.result.url)).text()).toContain("release v5");
    // Nothing ran twice: the stack's history has v5 once, after v1–v4.
    const history = await call("GET", `/v1/stacks/${projectId}/development/history`);
    const updates = (history.body.history as { kind: string; result: string; versionName: string | null }[]).filter((entry) => entry.kind === "update" && entry.result === "succeeded").reverse();
    expect(updates.map((entry) => entry.versionName)).toEqual(["v1", "v2", "v3", "v4", "v5"]);

    // Every stack is destroyed through the surviving worker; then nothing of the test runs any more.
    const destroys: string[] = [];
    for (const project of projects) {
      const answer = await fetch(`${base}/v1/stacks/${project}/development?remove=true`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(202);
      destroys.push(((await answer.json()) as { id: string }).id);
    }
    await finished(destroys, 300_000);
    const destroyed = await database.pool.query<{ status: string }>("select status from deployment_planner.deployments where id = any($1::uuid[])", [destroys]);
    expect(destroyed.rows.map((r) => r.status)).toEqual(destroys.map(() => "succeeded"));
    const survivors = children.filter((c) => c.child.pid !== pid);
    for (const { child } of survivors) child.kill("SIGTERM");
    const codes = await Promise.all(survivors.map((c) => Promise.race([c.exited, new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 60_000))])));
    expect(codes).toEqual([0, 0]);
    const left = (await liveProcesses()).filter((p) => p.args.includes(root) && !/postgres/.test(p.args));
    expect(left.map((p) => p.args)).toEqual([]);
  }, 600_000);
});
