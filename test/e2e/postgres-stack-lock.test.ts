import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readAudit,
  stackHistory,
  destroyStack,
  LEASE_TTL_ENV,
  openWorkspace,
  PROJECT_NAME,
  type PlannerWorkspace,
} from "../../src/automation/index";
import { ensurePulumi } from "../../src/toolchain/pulumi";
import { pulumiStateUrl, type ServiceDatabase } from "../../src/service/database";
import { PULUMI_STATE_TABLE } from "../../src/service/migrations";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { processesUnder } from "../support/processes";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");
/** A short lease, so a holder that stops renewing loses the lock within seconds. */
const LEASE_TTL_MS = 6_000;
const LOCK_TABLE = `${PULUMI_STATE_TABLE}_stack_locks`;

interface CliRun {
  readonly pid: number;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts one CLI process, with a bound on its run. */
function startCli(args: string[], env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}): CliRun & { child: ChildProcess } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"], detached: options.detached ?? false });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { pid: child.pid!, child, done };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The product's stack lock on Pulumi's PostgreSQL backend holds across processes (and hosts): CLI deploys of one stack
 * take turns through its row in the state database, and a holder killed mid-deploy loses it when its lease lapses.
 */
describe("the stack lock on the PostgreSQL state backend", () => {
  let root = "";
  let database: ServiceDatabase;
  let workspace: PlannerWorkspace;
  let env: NodeJS.ProcessEnv;
  const projectId = uniqueId("pglock");
  const stack = `${projectId}.development`;
  let request = "";
  let workspaceDir = "";

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-pglock-"));
    workspaceDir = path.join(root, "workspace");
    database = await openTestDatabase(path.join(workspaceDir, ".deployment-planner"));
    env = {
      ...process.env,
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
      PULUMI_BACKEND_URL: pulumiStateUrl(database),
      [LEASE_TTL_ENV]: String(LEASE_TTL_MS),
    };
    workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain: await ensurePulumi({ env, skipInstaller: true }) });
    const source = path.join(root, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    request = path.join(root, "request.json");
    await writeFile(
      request,
      JSON.stringify({ project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source }),
    );
  }, 180_000);

  afterAll(async () => {
    if (workspace) await destroyStack(stack, { workspace, removeStack: true, force: true }).catch(() => undefined);
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  }, 180_000);

  /** The holder of the stack's lock row now, or null. */
  async function lockRow(): Promise<{ holder: string; hostname: string; pid: number } | null> {
    const rows = await database.pool
      .query<{ holder: string; hostname: string; pid: number }>(`select holder, hostname, pid from ${LOCK_TABLE} where stack_key = $1`, [`${PROJECT_NAME}/${stack}`])
      .catch(() => ({ rows: [] }));
    return rows.rows[0] ?? null;
  }

  /** Whether the engine holds its own lock on the stack (a lock document in the state table). */
  async function engineLocked(): Promise<boolean> {
    const prefix = `postgres/.pulumi/locks/organization/${PROJECT_NAME}/${stack}/`;
    const rows = await database.pool.query<{ n: number }>(`select count(*)::int as n from ${PULUMI_STATE_TABLE} where starts_with(key, $1)`, [prefix]);
    return rows.rows[0]!.n > 0;
  }

  it("serializes two CLI deploys of one stack started together: the second waits for the first, then succeeds", async () => {
    const runs = [startCli(["deploy", request, "--workspace", workspaceDir, "--json"], env), startCli(["deploy", request, "--workspace", workspaceDir, "--json"], env)];
    // The lock's holders as the database shows them while both run.
    const holders = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const row = await lockRow();
        if (row) holders.add(row.pid);
        await sleep(50);
      }
    })();
    const results = await Promise.all(runs.map((run) => run.done));
    watching = false;
    await watcher;

    const parsed = results.map((r) => {
      try {
        return JSON.parse(r.stdout) as { status: string; url?: string };
      } catch {
        return { status: `unparsable (exit ${r.code}): ${r.stderr.slice(-800)}` };
      }
    });
    expect(parsed.map((p) => p.status)).toEqual(["success", "success"]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    // Each process held the product's lock in turn, and one of them said it waited for the other.
    expect([...holders].sort()).toEqual(runs.map((run) => run.pid).sort());
    const waited = results.filter((r) => new RegExp(`stack ${stack.replace(/\./g, "\\.")} is locked by ${os.hostname()}, pid \\d+`).test(r.stderr));
    expect(waited).toHaveLength(1);
    expect(results.filter((r) => /StackLockedError|lock wait|could not be locked/i.test(r.stdout + r.stderr))).toEqual([]);
    const history = await stackHistory(stack, { workspace });
    expect(history.filter((entry) => entry.kind === "update" && entry.result === "succeeded")).toHaveLength(2);
    expect(await lockRow()).toBeNull();
  }, 420_000);

  it("replaces a holder killed with SIGKILL mid-deploy once its lease lapses; the next deploy succeeds and leaves no orphan", async () => {
    // A version the stack does not serve yet: a deploy of what already serves converges without the engine or its lock.
    const changed = path.join(root, "request-v2.json");
    await writeFile(changed, JSON.stringify({ ...JSON.parse(await readFile(request, "utf8")), version_name: "v2" }));
    const victim = startCli(["deploy", changed, "--workspace", workspaceDir], env, { detached: true });
    // Killed as soon as its engine holds the engine's lock under the product's: a SIGKILL of its whole process group.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !((await lockRow())?.pid === victim.pid && (await engineLocked()))) await sleep(50);
    expect((await lockRow())?.pid).toBe(victim.pid);
    process.kill(-victim.pid, "SIGKILL");
    await victim.done;
    // As if the holder ran on another host, whose process this host cannot look at: only its lease can say it is gone.
    await database.pool.query(`update ${LOCK_TABLE} set hostname = 'builder-7' where stack_key = $1`, [`${PROJECT_NAME}/${stack}`]);

    const next = startCli(["deploy", changed, "--workspace", workspaceDir, "--json"], env);
    // Halfway through the lease's time to live (it was renewed at most a quarter of it before the kill), the dead
    // holder still has the lock, and the next deploy waits.
    await sleep(LEASE_TTL_MS / 2);
    expect(await lockRow()).toMatchObject({ hostname: "builder-7", pid: victim.pid });
    const result = await next.done;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: "success" });
    expect(result.stderr).toContain(`broke the stale lock of ${stack}: its holder on builder-7 stopped renewing its lease`);
    const unlocks = (await readAudit(workspace.dataDir)).filter((entry) => entry.action === "unlock" && entry.stack === stack);
    expect(unlocks.map((entry) => entry.reason)).toContainEqual(expect.stringContaining("builder-7 stopped renewing its lease"));
    expect(await lockRow()).toBeNull();
    expect(await engineLocked()).toBe(false);

    // Nothing of the killed deploy is left: no engine, no provider process.
    const left = await processesUnder(root);
    const commands = left.map((pid) => spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim());
    expect(commands.filter((c) => /pulumi |dynamic-provider|deployment-planner\.cjs/.test(c))).toEqual([]);
  }, 420_000);
});
