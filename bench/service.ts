/**
 * The deployment service as an operator runs it: whole CLI processes (`serve --api-only` and `worker`) on one
 * PostgreSQL (the embedded one, started here once and shared through DATABASE_URL), deploying the local static-site
 * example for real.
 * - Deployment throughput and CPU: K deployments over P projects (each project's deployments run in arrival order,
 *   projects in parallel) submitted through `POST /v1/deployments` and followed through `GET /v1/deployments/{id}`
 *   until all have finished, with 1 worker process and then with 2 (the same per-process concurrency), for each way
 *   the engine reaches the dynamic providers (`DEPLOYMENT_PLANNER_PROVIDER_HOST` given to the workers: `process`, a
 *   provider process per update, is "before"; `in-process`, the worker serving the providers itself, is "after"), all
 *   in the same run. The span is the server's own, from the first deployment queued to the last one finished. Each
 *   round deploys projects of its own, so every round creates the same number of stacks and updates each as often.
 *   A round's CPU is what the worker processes and everything they waited for (the `pulumi` runs, the engine's plugin
 *   and provider processes) used between the round's start and the moment before the workers are stopped, plus the
 *   API server's own, read from /proc (see service/process-cpu.ts); printed per deployment, with deployments per
 *   minute per CPU core and the after/before ratios.
 * - Read latency: N concurrent keep-alive clients on loopback calling `GET /v1/deployments/{id}` for a finished
 *   deployment (a token check and a database read each), against `GET /healthz` under the same load (neither), so
 *   the difference is what the token and the database cost.
 * Prints a readable report and, last, one JSON line with the figures. The stacks are destroyed and every process
 * started here is stopped at the end.
 *
 *   npx tsx bench/service.ts [--deployments 12] [--projects 6] [--concurrency 2] [--read-seconds 30] [--clients 200]
 *                            [--modes process,in-process]
 *   npx tsx bench/service.ts --deployments 4 --projects 2 --read-seconds 2       # a quick smoke run
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { workspaceDataDir } from "../src/automation/index";
import { openServiceDatabase, type ServiceDatabase } from "../src/service/database";
import { createToken } from "../src/service/tokens";
import { ensurePulumi } from "../src/toolchain/pulumi";
import { ensureBuilt } from "./service/build";
import { CliProcess } from "./support/cli-process";
import { DeploymentClient } from "./service/deployment-client";
import { load } from "./service/http-load";
import { stopProcessesUnder } from "./support/processes";
import { parseOptions, type ProviderMode } from "./service/options";
import { clockTicksPerSecond, cpuSecondsOf } from "./service/process-cpu";
import { ProviderProcessCounter } from "./service/provider-processes";
import { compareModes, describeRound, figuresJson, readsLine, summaryLines, type RoundResult } from "./service/report";
import { destroyStacks } from "./service/stacks";

const packageRoot = path.resolve(__dirname, "..");
const options = parseOptions(process.argv.slice(2));
const { deployments, projects, concurrency, roundTimeoutMs } = options;
/** What `serve --rate-limit` accepts at most: far above what this load reaches per minute on one machine. */
const RATE_LIMIT = 1_000_000;
/** The variable a worker reads to pick how the engine reaches the dynamic providers. */
const PROVIDER_HOST_ENV = "DEPLOYMENT_PLANNER_PROVIDER_HOST";

async function main(): Promise<void> {
  ensureBuilt();
  const cpus = os.cpus().length;
  const clockTicks = clockTicksPerSecond();
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-service-"));
  const workspaceDir = path.join(root, "workspace");
  const sourceRoot = path.join(root, "sources");
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const children: CliProcess[] = [];
  const stacks = new Set<string>();
  let database: ServiceDatabase | undefined;

  // Interrupted, the run still stops what it started and removes what it made.
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(children.map((child) => child.stop(30_000).catch(() => undefined)));
      if (database) await destroyStacks(stacks, database, workspaceDir, env);
      await database?.close().catch(() => undefined);
      if (database?.directory) for (const leftover of [database.directory, `${database.directory}.secret`]) await rm(leftover, { recursive: true, force: true });
      const left = await stopProcessesUnder(root);
      if (left.length > 0) console.log(`stopped ${left.length} process(es) left behind under the run's directory: ${left.join(", ")}`);
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
    const client = new DeploymentClient(base, token, (stack) => stacks.add(stack));
    const providerProcesses = new ProviderProcessCounter(root);

    const startWorkers = async (count: number, label: string, mode: ProviderMode): Promise<CliProcess[]> => {
      const workerEnv = { ...childEnv, [PROVIDER_HOST_ENV]: mode };
      const workers = Array.from({ length: count }, (_, i) => new CliProcess(`worker ${label}-${i + 1}`, ["worker", "--concurrency", String(concurrency), ...common], workerEnv));
      children.push(...workers);
      await Promise.all(workers.map((worker) => worker.waitFor(/deployment worker running/, 120_000)));
      return workers;
    };

    // One deployment per mode before its rounds, so neither round pays for cold caches (the toolchain, the example's first copy).
    const warmUp = async (mode: ProviderMode): Promise<void> => {
      console.log(`warming up (${mode}): one deployment through the service`);
      const workers = await startWorkers(1, `${mode}-warm-up`, mode);
      const [warm] = await client.awaitAll([await client.submit(`bench-svc-${mode}-warmup`, 1)], roundTimeoutMs);
      await Promise.all(workers.map((worker) => worker.stop()));
      if (warm?.status !== "succeeded") throw new Error(`the warm-up deployment (${mode}) failed: ${JSON.stringify(warm?.result).slice(0, 500)}`);
    };

    const round = async (mode: ProviderMode, workerCount: number): Promise<RoundResult> => {
      const workers = await startWorkers(workerCount, `${mode}-${workerCount}w`, mode);
      const pids = workers.map((worker) => worker.pid);
      // What the processes used before the round (a worker's start, the earlier rounds' reads) is not the round's.
      const [apiBefore] = await cpuSecondsOf([api.pid]);
      const workersBefore = await cpuSecondsOf(pids);
      const loadAverage = os.loadavg()[0]!;
      providerProcesses.start();
      const ids: string[] = [];
      for (let i = 0; i < deployments; i += 1) ids.push(await client.submit(`bench-svc-${mode}-${workerCount}w-${i % projects}`, Math.floor(i / projects) + 1));
      const records = await client.awaitAll(ids, roundTimeoutMs);
      const providerProcessCount = providerProcesses.stop();
      // Read while the workers still live: once reaped, a process's counters are gone. Every engine run has ended and
      // been waited for by now, so its CPU is in the worker's children's counters.
      const workersAfter = await cpuSecondsOf(pids);
      const [apiAfter] = await cpuSecondsOf([api.pid]);
      await Promise.all(workers.map((worker) => worker.stop()));
      // The server's clock on both ends: from the first deployment queued to the last one finished.
      const first = Math.min(...records.map((r) => Date.parse(String(r.created_at))));
      const last = Math.max(...records.map((r) => Date.parse(String(r.finished_at))));
      const failed = records.filter((r) => r.status === "failed");
      return {
        mode,
        workers: workerCount,
        succeeded: records.length - failed.length,
        failed: failed.length,
        seconds: (last - first) / 1000,
        workerCpuSeconds: workersAfter.reduce((sum, after, i) => sum + after - workersBefore[i]!, 0),
        apiCpuSeconds: apiAfter! - apiBefore!,
        providerProcesses: providerProcessCount,
        loadAverage,
        failures: failed.slice(0, 3).map((r) => String((r.result as { reason?: unknown } | null)?.reason ?? "no reason").slice(0, 300)),
        ids,
      };
    };

    const rounds: RoundResult[] = [];
    for (const mode of options.modes) {
      await warmUp(mode);
      for (const workerCount of [1, 2]) {
        console.log(`round ${rounds.length + 1} (${mode}): ${deployments} deployments over ${projects} projects, ${workerCount} worker process(es) × concurrency ${concurrency}`);
        const result = await round(mode, workerCount);
        console.log(describeRound(result, cpus));
        for (const failure of result.failures) console.log(`  a failed deployment: ${failure}`);
        rounds.push(result);
      }
    }

    // The reads run on a quiet machine: no worker, no deployed site left (the records stay).
    await destroyStacks(stacks, database, workspaceDir, env);

    const finishedId = rounds[0]!.ids[0]!;
    console.log(`reads: ${options.clients} keep-alive clients for ${options.readSeconds} s each, on loopback`);
    const health = await load(new URL("/healthz", base), {}, options.readSeconds, options.clients);
    console.log(`  GET /healthz (baseline): ${health.perSecond.toFixed(0)} requests/s, p50 ${health.p50.toFixed(2)} ms, p99 ${health.p99.toFixed(2)} ms, non-2xx ${health.non2xx}, errors ${health.errors}`);
    const reads = await load(new URL(`/v1/deployments/${finishedId}`, base), client.authorized, options.readSeconds, options.clients);
    console.log(`  GET /v1/deployments/{id}: ${reads.perSecond.toFixed(0)} requests/s, p50 ${reads.p50.toFixed(2)} ms, p99 ${reads.p99.toFixed(2)} ms, non-2xx ${reads.non2xx}, errors ${reads.errors}`);
    client.close();

    const comparison = compareModes(rounds, options.modes, cpus);
    console.log("");
    for (const line of summaryLines(rounds, comparison, cpus)) console.log(line);
    console.log(readsLine(reads, health));
    console.log(JSON.stringify(figuresJson(options, cpus, clockTicks, rounds, comparison, reads, health)));
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
