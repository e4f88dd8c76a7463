/**
 * Where one deployment's CPU goes, as a user runs it: a fresh `deployment-planner deploy
 * examples/requests/local-static-site.json` process in a fresh workspace, split by process (see support/cpu-probe.ts):
 * the CLI process itself, each pulumi command it runs (`up`, `stack init`, ..., the dynamic providers they start taken
 * out), the dynamic-provider processes, the local target's supervisor and release servers, and the CLI's other
 * children. Three scenarios in one workspace: the first deploy of a new stack, a changed deploy (the site's page
 * edited, so a new release rolls) and a no-change deploy with `--refresh`; then `destroy`.
 *
 * Both ways of reaching the dynamic providers run in the same run, alternating which goes first:
 * DEPLOYMENT_PLANNER_PROVIDER_HOST=process (a provider process per engine run, the figure before) and `in-process`
 * (the deploying process serves the providers). Prints each repetition, then per scenario the median CPU-seconds of
 * every part in each mode and the ratio in-process / process, the first deploy's time from the CLI's start to its
 * URL's first 200 ("first URL"), and one JSON line with the figures.
 *
 *   npx tsx bench/deploy-cpu.ts [repetitions]      # default 3
 *
 * Figures (Pulumi 3.276.0, Node.js 22, 2 CPUs, load about 0.9; 5 repetitions, medians, CPU-seconds process ->
 * in-process): first deploy 2.34 -> 1.36 (ratio 0.58), changed deploy 2.07 -> 1.47 (0.71), no-change --refresh
 * 3.06 -> 1.55 (0.51). In the first deploy (of a new workspace: no `stack init` runs) the CLI process itself takes
 * 0.71 s, the engine's `up` 0.54 s, the dynamic-provider process 0.83 s before (two of them with --refresh, 1.61 s)
 * and none after, the local supervisor and release server 0.15 s. First URL 2.03 s -> 1.15 s.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCli, type CliRun } from "./support/cli-run";
import { breakdown, medianParts, partsTable, TOTAL, type CpuParts } from "./support/cpu-breakdown";
import { detachedUnder, openCpuProbe, type CpuProbe } from "./support/cpu-probe";
import { PACKAGE_ROOT, stopProcessesUnder } from "./support/processes";
import { median, round2 } from "./support/stats";
import { BENCH_PASSPHRASE } from "./support/workspace";

const repetitions = Math.max(1, Number(process.argv[2] ?? 3));
const MODES = ["process", "in-process"] as const;
type Mode = (typeof MODES)[number];
const SCENARIOS = ["first deploy", "changed deploy", "no-change deploy --refresh"] as const;
type Scenario = (typeof SCENARIOS)[number];

/** One scenario's measured run. */
interface ScenarioFigures {
  readonly parts: CpuParts;
  readonly wallMs: number;
  readonly firstUrlMs?: number;
  readonly commands: string[];
  readonly providers: number;
}

/** A fresh workspace holding copies of the example request and the site it names (the request's relative path kept). */
async function freshWorkspace(parent: string): Promise<{ dir: string; requestFile: string; page: string }> {
  const dir = await mkdtemp(path.join(parent, "ws-"));
  await mkdir(path.join(dir, "requests"));
  await cp(path.join(PACKAGE_ROOT, "examples", "apps", "static-site"), path.join(dir, "apps", "static-site"), { recursive: true });
  const requestFile = path.join(dir, "requests", "local-static-site.json");
  await cp(path.join(PACKAGE_ROOT, "examples", "requests", "local-static-site.json"), requestFile);
  return { dir, requestFile, page: path.join(dir, "apps", "static-site", "index.html") };
}

/** Runs one CLI command with the probe in place and splits its CPU. */
async function measuredRun(probe: CpuProbe, workspaceDir: string, args: string[], env: NodeJS.ProcessEnv, waitForUrl: boolean): Promise<ScenarioFigures> {
  const detachedBefore = await detachedUnder(workspaceDir);
  const run: CliRun = await runCli(args, { cwd: workspaceDir, env: probe.env(env), waitForUrl });
  const detachedAfter = await detachedUnder(workspaceDir);
  const split = breakdown({ run, wrapped: await probe.wrappedRuns(), nodes: await probe.nodeProcesses(), detachedBefore, detachedAfter });
  if (!split.commands.includes("up")) throw new Error(`deployment-planner ${args.join(" ")} ran no pulumi up (${split.commands.join(", ")}):\n${run.stdout}`);
  return { ...split, wallMs: run.wallMs, firstUrlMs: run.firstUrlMs };
}

/** The three scenarios in a fresh workspace in one mode, then `destroy`; nothing of it is left running. */
async function scenarios(probe: CpuProbe, parent: string, mode: Mode, baseEnv: NodeJS.ProcessEnv): Promise<Record<Scenario, ScenarioFigures>> {
  const workspace = await freshWorkspace(parent);
  const env = { ...baseEnv, DEPLOYMENT_PLANNER_PROVIDER_HOST: mode };
  const deploy = ["deploy", workspace.requestFile, "--workspace", workspace.dir];
  try {
    const first = await measuredRun(probe, workspace.dir, deploy, env, true);
    await writeFile(workspace.page, `${await readFile(workspace.page, "utf8")}\n<!-- release edited at ${new Date().toISOString()} -->\n`);
    const changed = await measuredRun(probe, workspace.dir, deploy, env, false);
    const refresh = await measuredRun(probe, workspace.dir, [...deploy, "--refresh"], env, false);
    return { "first deploy": first, "changed deploy": changed, "no-change deploy --refresh": refresh };
  } finally {
    await runCli(["destroy", "example-site", "development", "--remove", "--workspace", workspace.dir], { cwd: workspace.dir, env, timeoutMs: 120_000 }).catch((error: Error) =>
      console.log(`destroy failed: ${error.message.split("\n").slice(0, 3).join(" ")}`),
    );
    const left = await stopProcessesUnder(workspace.dir);
    if (left.length > 0) console.log(`stopped ${left.length} process(es) destroy left running: ${left.join(", ")}`);
    await rm(workspace.dir, { recursive: true, force: true });
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-deploy-cpu-"));
  // One Pulumi home for the run, as a user keeps one; each repetition gets a fresh workspace.
  const baseEnv = { ...process.env, PULUMI_CONFIG_PASSPHRASE: BENCH_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
  const probe = await openCpuProbe(baseEnv);
  let interrupted = false;
  process.once("SIGINT", () => (interrupted = true));
  try {
    console.log(`pulumi v${probe.toolchain.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; ${repetitions} repetition(s) per mode`);
    // An unmeasured first deploy warms the file cache, the CLI's compiled-code cache and the toolchain check.
    const warm = await scenarios(probe, root, "process", baseEnv);
    // The toolchain check runs `pulumi version` once per CLI binary and remembers the answer, so only this run shows it.
    console.log(`warm-up (unmeasured), first deploy: pulumi commands ${warm["first deploy"].commands.join(", ")}; ${seconds(warm["first deploy"].parts[TOTAL])} CPU`);

    const runs: Record<Mode, Record<Scenario, ScenarioFigures>[]> = { process: [], "in-process": [] };
    for (let i = 0; i < repetitions && !interrupted; i += 1) {
      // Alternate which mode goes first, so neither always runs on a machine the other just warmed.
      for (const mode of i % 2 === 0 ? MODES : [...MODES].reverse()) {
        const figures = await scenarios(probe, root, mode, baseEnv);
        runs[mode].push(figures);
        const first = figures["first deploy"];
        console.log(
          `repetition ${i + 1}, ${mode}: ` +
            SCENARIOS.map((scenario) => `${scenario} ${seconds(figures[scenario].wallMs)} wall, ${seconds(figures[scenario].parts[TOTAL])} CPU`).join("; ") +
            `; first URL ${seconds(first.firstUrlMs)}; pulumi commands: ${first.commands.join(", ")}; provider processes ${SCENARIOS.map((s) => figures[s].providers).join("/")}`,
        );
      }
    }

    const summary: Record<string, unknown> = { bench: "deploy-cpu", cpus: os.cpus().length, repetitions, pulumi: probe.toolchain.version };
    for (const scenario of SCENARIOS) {
      const medians = MODES.map((mode) => medianParts(runs[mode].map((figures) => figures[scenario].parts))) as [CpuParts, CpuParts];
      const walls = MODES.map((mode) => median(runs[mode].map((figures) => figures[scenario].wallMs)));
      console.log(`\n${partsTable(`${scenario}: median CPU per part over ${repetitions} run(s)`, MODES, medians)}`);
      console.log(`  wall: ${MODES.map((mode, k) => `${mode} ${seconds(walls[k])}`).join(", ")}; total CPU ratio in-process / process ${(medians[1][TOTAL]! / medians[0][TOTAL]!).toFixed(2)}`);
      summary[scenario.replace(/[^a-z]+/g, "_")] = Object.fromEntries(
        MODES.map((mode, k) => [mode, { wall_s: round2(walls[k]! / 1000), cpu_s: Object.fromEntries(Object.entries(medians[k]!).map(([part, ms]) => [part, round2(ms / 1000)])) }]),
      );
      summary[`${scenario.replace(/[^a-z]+/g, "_")}_cpu_ratio`] = round2(medians[1][TOTAL]! / medians[0][TOTAL]!);
    }
    const firstUrl = MODES.map((mode) => median(runs[mode].map((figures) => figures["first deploy"].firstUrlMs ?? Number.NaN)));
    console.log(`\nfirst URL (CLI start to the URL's first 200, new stack): ${MODES.map((mode, k) => `${mode} ${seconds(firstUrl[k])}`).join(", ")} (target <= 1.5 s)`);
    summary.first_url_s = Object.fromEntries(MODES.map((mode, k) => [mode, round2(firstUrl[k]! / 1000)]));
    console.log(JSON.stringify(summary));
  } finally {
    await probe.close();
    await stopProcessesUnder(root);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
