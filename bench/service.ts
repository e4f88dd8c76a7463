/**
 * The deployment service as an operator runs it: whole CLI processes (`serve --api-only` and `worker`) on one
 * PostgreSQL (the embedded one, started here once and shared through DATABASE_URL), deploying the local static-site
 * example for real.
 * - Deployment throughput: K deployments over P projects (each project's deployments run in arrival order, projects
 *   in parallel) submitted through `POST /v1/deployments` and followed through `GET /v1/deployments/{id}` until all
 *   have finished, with 1 worker process and then with 2 (the same per-process concurrency), in the same run; the
 *   span is the server's own, from the first deployment queued to the last one finished. Each round deploys projects
 *   of its own, so both rounds create the same number of stacks and update each the same number of times.
 * - Read latency: N concurrent keep-alive clients on loopback calling `GET /v1/deployments/{id}` for a finished
 *   deployment (a token check and a database read each), against `GET /healthz` under the same load (neither), so
 *   the difference is what the token and the database cost.
 * Prints a readable report and, last, one JSON line with the figures. The stacks are destroyed and every process
 * started here is stopped at the end.
 *
 *   npx tsx bench/service.ts [--deployments 12] [--projects 6] [--concurrency 2] [--read-seconds 30] [--clients 200]
 *   npx tsx bench/service.ts --deployments 4 --projects 2 --read-seconds 5       # a quick smoke run
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { destroyStack, openWorkspace, workspaceDataDir } from "../src/automation/index";
import { ensurePulumi } from "../src/toolchain/pulumi";
import { credentialRedactor, openServiceDatabase, pulumiStateUrl, type ServiceDatabase } from "../src/service/database";
import { createToken } from "../src/service/tokens";

const packageRoot = path.resolve(__dirname, "..");
const BIN = path.join(packageRoot, "bin", "deployment-planner.cjs");

/** `--name value` options, each a whole number within bounds. */
function option(name: string, fallback: number, min: number, max: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name}: a whole number from ${min} to ${max}`);
  return value;
}

const deployments = option("deployments", 12, 1, 500);
const projects = Math.min(deployments, option("projects", 6, 1, 100));
const concurrency = option("concurrency", 2, 1, 32);
const readSeconds = option("read-seconds", 30, 1, 600);
const clients = option("clients", 200, 1, 2000);
/** Longest a round may take to finish all its deployments. */
const roundTimeoutMs = option("round-timeout", 900, 30, 7200) * 1000;
/** What `serve --rate-limit` accepts at most: far above what this load reaches per minute on one machine. */
const RATE_LIMIT = 1_000_000;

/** Builds dist/ when it is missing or older than any source file: the CLI runs the compiled code. */
function ensureBuilt(): void {
  const src = path.join(packageRoot, "src");
  const stale = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return stale(full);
      if (!entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) return false;
      const compiled = path.join(packageRoot, "dist", path.relative(src, full)).replace(/\.ts$/, ".js");
      return !existsSync(compiled) || statSync(compiled).mtimeMs < statSync(full).mtimeMs;
    });
  if (!stale(src)) return;
  console.log("building dist/ (missing or older than src/)");
  const built = spawnSync(process.execPath, [path.join(packageRoot, "scripts", "build.cjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("the build failed");
}

/** A CLI process: its stderr kept (the tail) to wait for a line and to explain a failure. */
class CliProcess {
  readonly child: ChildProcess;
  private stderr = "";
  private exited: Promise<number | null>;

  constructor(
    readonly label: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** The first match of `pattern` in its stderr; fails when it exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stderr);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.label} exited before it was ready:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.label} was not ready within ${timeoutMs / 1000} s:\n${this.stderr.slice(-3000)}`);
      await sleep(100);
    }
  }

  /** SIGTERM, a bounded wait (a worker finishes what it runs), then SIGKILL. */
  async stop(graceMs = 60_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      console.log(`${this.label} did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One HTTP request on `agent`: status, body and how long it took (ms). */
function request(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sent = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
      response.on("error", reject);
    });
    sent.on("timeout", () => sent.destroy(new Error("no answer within 30 s")));
    sent.on("error", reject);
    sent.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `clients` loops on keep-alive connections calling `url` for `seconds`: throughput, latency, answers that are not 2xx. */
async function load(url: URL, headers: Record<string, string>, seconds: number): Promise<{ requests: number; perSecond: number; p50: number; p99: number; non2xx: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  // A short unmeasured start lets connections open and the server's code warm up first.
  const warmUntil = performance.now() + Math.min(3_000, seconds * 200);
  const measureUntil = warmUntil + seconds * 1000;
  let measuredStart = Number.NaN;
  const client = async () => {
    while (performance.now() < measureUntil) {
      const startedAt = performance.now();
      try {
        const answer = await request(agent, url, "GET", headers);
        if (startedAt < warmUntil) continue;
        if (Number.isNaN(measuredStart)) measuredStart = startedAt;
        latencies.push(answer.ms);
        if (answer.status < 200 || answer.status > 299) non2xx += 1;
      } catch {
        if (startedAt >= warmUntil) errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { requests: sorted.length, perSecond: sorted.length / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), non2xx, errors };
}

/** One throughput round's figures. */
interface RoundResult {
  readonly workers: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perMinute: number;
  readonly failures: string[];
  readonly ids: string[];
}

async function main(): Promise<void> {
  ensureBuilt();
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-service-"));
  const workspaceDir = path.join(root, "workspace");
  const sourceRoot = path.join(root, "sources");
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const children: CliProcess[] = [];
  const stacks = new Set<string>();
  let database: ServiceDatabase | undefined;

  /** Destroys the stacks deployed so far, a few at a time (each is an engine run of its own). */
  const destroyStacks = async () => {
    if (stacks.size === 0 || !database) return;
    console.log(`destroying ${stacks.size} stack(s)`);
    // The service keeps Pulumi's state in its database; the stacks are found there, as the workers left them.
    const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain: await ensurePulumi({ env }), backendUrl: pulumiStateUrl(database) });
    const redact = credentialRedactor(database);
    const pending = [...stacks];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let stack = pending.shift(); stack !== undefined; stack = pending.shift()) {
          const name = stack;
          await destroyStack(name, { workspace, force: true, removeStack: true }).then(
            () => stacks.delete(name),
            (error: Error) => console.log(`destroying ${name} failed: ${redact(error.message.split("\n")[0] ?? "")}`),
          );
        }
      }),
    );
  };

  // Interrupted, the run still stops what it started and removes what it made.
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(children.map((child) => child.stop(30_000).catch(() => undefined)));
      await destroyStacks();
      await database?.close().catch(() => undefined);
      if (database?.directory) for (const leftover of [database.directory, `${database.directory}.secret`]) await rm(leftover, { recursive: true, force: true });
      await reportLeftovers(root);
      await rm(root, { recursive: true, force: true });
    })());
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

  try {
    // Sources: one copy of the example per release, each serving different content, so every deployment changes the site.
    const releases = Math.ceil(deployments / projects);
    for (let release = 1; release <= releases; release += 1) {
      const dir = path.join(sourceRoot, `site-${release}`);
      await cp(path.join(packageRoot, "examples", "apps", "static-site"), dir, { recursive: true });
      await writeFile(path.join(dir, "index.html"), `<h1>release ${release}</h1>`);
    }

    database = await openServiceDatabase({ dataDir: workspaceDataDir(workspaceDir), databaseUrl: "" });
    const connection = database.connection;
    if (!("host" in connection)) throw new Error("expected the embedded PostgreSQL");
    const databaseUrl = `postgres://${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}/${connection.database}`;
    const token = (await createToken(database.pool, ["*"], "deploy")).token;
    const childEnv = { ...env, DATABASE_URL: databaseUrl };
    const common = ["--workspace", workspaceDir, "--source-root", sourceRoot];

    // The toolchain is found (or installed) once here, rather than by several processes at once.
    await ensurePulumi({ env });

    const api = new CliProcess("serve", ["serve", "--api-only", "--host", "127.0.0.1", "--port", "0", "--rate-limit", String(RATE_LIMIT), ...common, "--json"], childEnv);
    children.push(api);
    const base = new URL((await api.waitFor(/deployment service listening on (http:\/\/[0-9.:]+)/, 120_000))[1]!);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const authorized = { authorization: `Bearer ${token}` };

    const submit = async (projectId: string, release: number): Promise<string> => {
      const body = JSON.stringify({
        project_id: projectId,
        deployment_type: "static_site",
        tech_stack: ["HTML"],
        target: "local",
        environment: { ENV: "development" },
        source: `site-${release}`,
        version_name: `r${release}`,
      });
      const answer = await request(agent, new URL("/v1/deployments", base), "POST", { ...authorized, "content-type": "application/json" }, body);
      if (answer.status !== 202) throw new Error(`POST /v1/deployments answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      stacks.add(`${projectId}.development`);
      return (JSON.parse(answer.body) as { id: string }).id;
    };

    /** Polls until every deployment has finished (bounded); their records. */
    const awaitAll = async (ids: string[], timeoutMs: number): Promise<Record<string, unknown>[]> => {
      const done = new Map<string, Record<string, unknown>>();
      const deadline = Date.now() + timeoutMs;
      while (done.size < ids.length) {
        if (Date.now() > deadline) throw new Error(`${ids.length - done.size} of ${ids.length} deployment(s) did not finish within ${timeoutMs / 1000} s`);
        for (const id of ids.filter((candidate) => !done.has(candidate))) {
          const answer = await request(agent, new URL(`/v1/deployments/${id}`, base), "GET", authorized);
          const record = JSON.parse(answer.body) as Record<string, unknown>;
          if (record.status === "succeeded" || record.status === "failed") done.set(id, record);
        }
        if (done.size < ids.length) await sleep(500);
      }
      return ids.map((id) => done.get(id)!);
    };

    const startWorkers = async (count: number, label: string): Promise<CliProcess[]> => {
      const workers = Array.from({ length: count }, (_, i) => new CliProcess(`worker ${label}-${i + 1}`, ["worker", "--concurrency", String(concurrency), ...common], childEnv));
      children.push(...workers);
      await Promise.all(workers.map((worker) => worker.waitFor(/deployment worker running/, 120_000)));
      return workers;
    };

    const round = async (workerCount: number): Promise<RoundResult> => {
      const workers = await startWorkers(workerCount, `${workerCount}w`);
      const ids: string[] = [];
      for (let i = 0; i < deployments; i += 1) ids.push(await submit(`bench-svc-${workerCount}w-${i % projects}`, Math.floor(i / projects) + 1));
      const records = await awaitAll(ids, roundTimeoutMs);
      await Promise.all(workers.map((worker) => worker.stop()));
      // The server's clock on both ends: from the first deployment queued to the last one finished.
      const first = Math.min(...records.map((r) => Date.parse(String(r.created_at))));
      const last = Math.max(...records.map((r) => Date.parse(String(r.finished_at))));
      const seconds = (last - first) / 1000;
      const failed = records.filter((r) => r.status === "failed");
      return {
        workers: workerCount,
        succeeded: records.length - failed.length,
        failed: failed.length,
        seconds,
        perMinute: (records.length / seconds) * 60,
        failures: failed.slice(0, 3).map((r) => String((r.result as { reason?: unknown } | null)?.reason ?? "no reason").slice(0, 300)),
        ids,
      };
    };

    // One deployment before the rounds, so neither pays for cold caches (the toolchain, the example's first copy).
    console.log("warming up: one deployment through the service");
    const warmWorkers = await startWorkers(1, "warm-up");
    const [warm] = await awaitAll([await submit("bench-svc-warmup", 1)], roundTimeoutMs);
    await Promise.all(warmWorkers.map((worker) => worker.stop()));
    if (warm?.status !== "succeeded") throw new Error(`the warm-up deployment failed: ${JSON.stringify(warm?.result).slice(0, 500)}`);

    console.log(`round 1: ${deployments} deployments over ${projects} projects, 1 worker process × concurrency ${concurrency}`);
    const one = await round(1);
    console.log(`  ${one.succeeded} succeeded, ${one.failed} failed in ${one.seconds.toFixed(1)} s: ${one.perMinute.toFixed(1)} deployments/min`);
    console.log(`round 2: ${deployments} deployments over ${projects} projects, 2 worker processes × concurrency ${concurrency}`);
    const two = await round(2);
    console.log(`  ${two.succeeded} succeeded, ${two.failed} failed in ${two.seconds.toFixed(1)} s: ${two.perMinute.toFixed(1)} deployments/min`);
    for (const failure of [...one.failures, ...two.failures]) console.log(`  a failed deployment: ${failure}`);

    // The reads run on a quiet machine: no worker, no deployed site left (the records stay).
    await destroyStacks();

    const finishedId = one.ids[0]!;
    console.log(`reads: ${clients} keep-alive clients for ${readSeconds} s each, on loopback`);
    const health = await load(new URL("/healthz", base), {}, readSeconds);
    console.log(`  GET /healthz (baseline): ${health.perSecond.toFixed(0)} requests/s, p50 ${health.p50.toFixed(2)} ms, p99 ${health.p99.toFixed(2)} ms, non-2xx ${health.non2xx}, errors ${health.errors}`);
    const reads = await load(new URL(`/v1/deployments/${finishedId}`, base), authorized, readSeconds);
    console.log(`  GET /v1/deployments/{id}: ${reads.perSecond.toFixed(0)} requests/s, p50 ${reads.p50.toFixed(2)} ms, p99 ${reads.p99.toFixed(2)} ms, non-2xx ${reads.non2xx}, errors ${reads.errors}`);
    agent.destroy();

    const ratio = two.perMinute / one.perMinute;
    console.log(`\nthroughput: 1 worker ${one.perMinute.toFixed(1)}/min, 2 workers ${two.perMinute.toFixed(1)}/min, ratio ${ratio.toFixed(2)} (${os.cpus().length} CPUs)`);
    console.log(`reads: GET /v1/deployments/{id} p50 ${reads.p50.toFixed(2)} ms / p99 ${reads.p99.toFixed(2)} ms against /healthz p50 ${health.p50.toFixed(2)} ms / p99 ${health.p99.toFixed(2)} ms (p50 ratio ${(reads.p50 / health.p50).toFixed(2)})`);
    const figures = {
      bench: "service",
      cpus: os.cpus().length,
      deployments,
      projects,
      concurrency_per_worker: concurrency,
      one_worker: { succeeded: one.succeeded, failed: one.failed, seconds: round2(one.seconds), per_minute: round2(one.perMinute) },
      two_workers: { succeeded: two.succeeded, failed: two.failed, seconds: round2(two.seconds), per_minute: round2(two.perMinute) },
      throughput_ratio: round2(ratio),
      read_clients: clients,
      read_seconds: readSeconds,
      deployment_read: { per_second: round2(reads.perSecond), p50_ms: round2(reads.p50), p99_ms: round2(reads.p99), non_2xx: reads.non2xx, errors: reads.errors },
      healthz: { per_second: round2(health.perSecond), p50_ms: round2(health.p50), p99_ms: round2(health.p99), non_2xx: health.non2xx, errors: health.errors },
      read_p50_ratio: round2(reads.p50 / health.p50),
      read_p99_ratio: round2(reads.p99 / health.p99),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await cleanup();
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Processes that still name the run's directory (an engine, a site's supervisor): stopped, and said so. */
async function reportLeftovers(root: string): Promise<void> {
  const left: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    const state = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (cmdline.includes(root) && !/^\d+ \(.*\) Z/.test(state)) left.push(Number(entry));
  }
  if (left.length === 0) return;
  console.log(`stopping ${left.length} process(es) left behind under the run's directory: ${left.join(", ")}`);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
  await sleep(3_000);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone after SIGTERM.
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
