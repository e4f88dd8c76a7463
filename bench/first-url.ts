/**
 * First URL: from a request to the first HTTP 200 from the URL of a new stack of the local static example, two ways,
 * each with the dynamic providers in a process of their own (DEPLOYMENT_PLANNER_PROVIDER_HOST=process, the figure
 * before) and in the deploying process (`in-process`), alternating in the same run; every sample is a new project
 * (a new stack), destroyed after it is measured:
 *
 * - CLI: a fresh `deployment-planner deploy <request>` process, from its spawn to the first 200 on the URL it prints;
 * - service: `serve --api-only` and one `worker` per mode (started once, on the embedded PostgreSQL, the other mode's
 *   worker paused meanwhile so it claims nothing), from `POST /v1/deployments` to the first 200 on the URL that
 *   `GET /v1/deployments/{id}` gives once the deployment has one.
 *
 * One unmeasured sample of each warms the caches and the worker processes. Prints each sample, a table of medians
 * (target: at most 1.5 s on this machine), and one JSON line. Runs the compiled dist/ (`npm run build` first).
 *
 *   npx tsx bench/first-url.ts [samples]      # default 5 per mode and way
 *
 * Figures (Pulumi 3.276.0, Node.js 22, 2 CPUs, load about 1.4; medians of 5, process -> in-process): through the
 * service 1.57 s -> 0.94 s (ratio 0.59; target at most 1.5 s), fresh CLI process 1.91 s -> 1.19 s (0.62).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { destroyStack, openWorkspace, workspaceDataDir } from "../src/automation/index";
import { openServiceDatabase, pulumiStateUrl, type ServiceDatabase } from "../src/service/database";
import { createToken } from "../src/service/tokens";
import { ensurePulumi } from "../src/toolchain/pulumi";
import { runCli } from "./support/cli-run";
import { CliProcess } from "./support/cli-process";
import { firstOk, httpRequest } from "./support/http";
import { PACKAGE_ROOT, stopProcessesUnder } from "./support/processes";
import { median, round2, sleep } from "./support/stats";
import { BENCH_PASSPHRASE } from "./support/workspace";

const samples = Math.max(1, Number(process.argv[2] ?? 5));
const MODES = ["process", "in-process"] as const;
type Mode = (typeof MODES)[number];
/** What `serve --rate-limit` accepts at most: far above what this bench sends. */
const RATE_LIMIT = 1_000_000;
const TARGET_S = 1.5;
const URL_IN_RECORD = /"(http:\/\/127\.0\.0\.1:\d+\/?)"/;

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-first-url-"));
  const workspaceDir = path.join(root, "workspace");
  const sourceRoot = path.join(root, "sources");
  const site = path.join(sourceRoot, "site");
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: BENCH_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
  const processes: CliProcess[] = [];
  const cliStacks = new Set<string>();
  let database: ServiceDatabase | undefined;
  try {
    await mkdir(sourceRoot);
    await cp(path.join(PACKAGE_ROOT, "examples", "apps", "static-site"), site, { recursive: true });
    const toolchain = await ensurePulumi({ env });

    /** (a) a fresh CLI process deploying a new project: spawn to the first 200. */
    const viaCli = async (mode: Mode, project: string): Promise<number> => {
      const requestFile = path.join(root, `${project}.json`);
      const request = { user_id: "bench", project_id: project, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: site, deployer_id: "bench", version_name: "v1" };
      await writeFile(requestFile, JSON.stringify(request));
      const modeEnv = { ...env, DEPLOYMENT_PLANNER_PROVIDER_HOST: mode };
      cliStacks.add(project);
      const run = await runCli(["deploy", requestFile, "--workspace", workspaceDir], { cwd: root, env: modeEnv, waitForUrl: true });
      await runCli(["destroy", project, "development", "--remove", "--workspace", workspaceDir], { cwd: root, env: modeEnv, timeoutMs: 120_000 });
      cliStacks.delete(project);
      return run.firstUrlMs!;
    };

    // The service keeps its queue, records and Pulumi state in its own embedded PostgreSQL, in a workspace of its own.
    const serviceDir = path.join(root, "service");
    database = await openServiceDatabase({ dataDir: workspaceDataDir(serviceDir), databaseUrl: "" });
    const connection = database.connection;
    if (!("host" in connection)) throw new Error("expected the embedded PostgreSQL");
    const databaseUrl = `postgres://${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}/${connection.database}`;
    const token = (await createToken(database.pool, ["*"], "deploy")).token;
    const serviceEnv = { ...env, DATABASE_URL: databaseUrl };
    const common = ["--workspace", serviceDir, "--source-root", sourceRoot];
    const api = new CliProcess("serve", ["serve", "--api-only", "--host", "127.0.0.1", "--port", "0", "--rate-limit", String(RATE_LIMIT), ...common, "--json"], serviceEnv);
    processes.push(api);
    const base = new URL((await api.waitFor(/deployment service listening on (http:\/\/[0-9.:]+)/, 120_000))[1]!);
    const workers = Object.fromEntries(
      MODES.map((mode) => [mode, new CliProcess(`worker (${mode})`, ["worker", "--concurrency", "1", ...common], { ...serviceEnv, DEPLOYMENT_PLANNER_PROVIDER_HOST: mode })]),
    ) as Record<Mode, CliProcess>;
    processes.push(...Object.values(workers));
    await Promise.all(Object.values(workers).map((worker) => worker.waitFor(/deployment worker running/, 120_000)));
    const serviceWorkspace = await openWorkspace({ workspaceDir: serviceDir, env, pulumiHome: env.PULUMI_HOME, toolchain, backendUrl: pulumiStateUrl(database) });
    const authorized = { authorization: `Bearer ${token}` };
    let active: Mode | undefined;

    /** (b) through the service: POST to the first 200 on the URL the deployment's record gives. */
    const viaService = async (mode: Mode, project: string): Promise<number> => {
      if (active !== mode) {
        for (const other of MODES.filter((candidate) => candidate !== mode)) workers[other].pause();
        workers[mode].resume();
        active = mode;
        // A resumed worker catches up on its timers before a deployment is queued for it.
        await sleep(1_500);
      }
      const body = JSON.stringify({ project_id: project, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", version_name: "v1" });
      const started = performance.now();
      const answer = await httpRequest(new URL("/v1/deployments", base), { method: "POST", headers: { ...authorized, "content-type": "application/json" }, body });
      if (answer.status !== 202) throw new Error(`POST /v1/deployments answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      const id = (JSON.parse(answer.body) as { id: string }).id;
      try {
        const deadline = performance.now() + 180_000;
        for (;;) {
          const record = await httpRequest(new URL(`/v1/deployments/${id}`, base), { headers: authorized });
          const url = URL_IN_RECORD.exec(record.body)?.[1];
          if (url) return (await firstOk(url, 60_000)) - started;
          const status = (JSON.parse(record.body) as { status?: string }).status;
          if (status === "failed") throw new Error(`deployment ${id} failed: ${record.body.slice(0, 800)}`);
          if (performance.now() > deadline) throw new Error(`deployment ${id} had no URL within 180 s`);
          await sleep(25);
        }
      } finally {
        // The worker records the deployment after its URL serves; the stack is destroyed once it has finished.
        for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
          const record = await httpRequest(new URL(`/v1/deployments/${id}`, base), { headers: authorized }).catch(() => null);
          if (record && /"status":"(succeeded|failed)"/.test(record.body)) break;
        }
        await destroyStack(`${project}.development`, { workspace: serviceWorkspace, force: true, removeStack: true }).catch((error: Error) => console.log(`destroying ${project} failed: ${error.message.split("\n")[0]}`));
      }
    };

    const ways = { cli: viaCli, service: viaService };
    type Way = keyof typeof ways;
    console.log(`pulumi v${toolchain.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; ${samples} sample(s) per mode and way`);
    for (const mode of MODES) for (const way of Object.keys(ways) as Way[]) await ways[way](mode, `first-url-warm-${way}-${mode === "process" ? "p" : "i"}`);

    const figures: Record<Way, Record<Mode, number[]>> = { cli: { process: [], "in-process": [] }, service: { process: [], "in-process": [] } };
    for (let i = 0; i < samples; i += 1) {
      // Alternate which mode goes first, so neither always runs on a machine the other just warmed.
      for (const mode of i % 2 === 0 ? MODES : [...MODES].reverse()) {
        for (const way of Object.keys(ways) as Way[]) {
          const ms = await ways[way](mode, `first-url-${way}-${mode === "process" ? "p" : "i"}-${i + 1}`);
          figures[way][mode].push(ms);
          console.log(`sample ${i + 1}, ${way}, ${mode}: first URL after ${(ms / 1000).toFixed(2)} s`);
        }
      }
    }

    const labels: Record<Way, string> = { cli: "fresh CLI process (deploy)", service: "service (POST to 200)" };
    const medians = (way: Way) => MODES.map((mode) => median(figures[way][mode]) / 1000) as [number, number];
    console.log(`\nfirst URL of a new stack, median of ${samples} (target <= ${TARGET_S} s):`);
    console.log(`  ${"way".padEnd(30)}${"process".padStart(12)}${"in-process".padStart(12)}${"ratio".padStart(8)}`);
    for (const way of Object.keys(ways) as Way[]) {
      const [before, after] = medians(way);
      console.log(`  ${labels[way].padEnd(30)}${`${before.toFixed(2)} s`.padStart(12)}${`${after.toFixed(2)} s`.padStart(12)}${(after / before).toFixed(2).padStart(8)}`);
    }
    const json = Object.fromEntries((Object.keys(ways) as Way[]).map((way) => [way, Object.fromEntries(MODES.map((mode, k) => [mode, round2(medians(way)[k]!)]))]));
    console.log(JSON.stringify({ bench: "first-url", cpus: os.cpus().length, samples, target_s: TARGET_S, median_s: json }));
  } finally {
    await Promise.all(processes.map((child) => child.stop(30_000).catch(() => undefined)));
    for (const project of cliStacks) {
      await runCli(["destroy", project, "development", "--remove", "--workspace", workspaceDir], { cwd: root, env, timeoutMs: 120_000 }).catch(() => undefined);
    }
    await database?.close().catch(() => undefined);
    if (database?.directory) for (const leftover of [database.directory, `${database.directory}.secret`]) await rm(leftover, { recursive: true, force: true });
    const left = await stopProcessesUnder(root);
    if (left.length > 0) console.log(`stopped ${left.length} process(es) left under the run's directory: ${left.join(", ")}`);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
