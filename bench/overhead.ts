/**
 * Overhead of deploying through Deployment Planner against the raw Pulumi CLI, on a no-change redeploy of the local
 * static example, in alternating pairs within one run:
 *
 * - library: `planAndDeploy` in a warm process against `pulumi up --yes --skip-preview -s <stack>` (the directory
 *   program through the language host);
 * - CLI: a fresh `deployment-planner deploy <request>` process, as a user runs it, against the same raw command.
 *
 * Prints each pair, the medians in milliseconds and the median ratios (ours / raw).
 *
 *   npx tsx bench/overhead.ts [pairs]
 */
import { planAndDeploy } from "../src/automation/index";
import { median } from "./support/stats";
import { deployWithCli, openBenchWorkspace, rawPulumiUp } from "./support/workspace";

const pairs = Math.max(5, Number(process.argv[2] ?? 5));

async function main(): Promise<void> {
  const bench = await openBenchWorkspace("overhead", "bench-overhead");
  const { env, workspace, toolchain, request } = bench;
  let stack = "";
  try {
    const coldStart = Date.now();
    const first = await planAndDeploy(request, { workspace, env });
    if (first.status !== "success") throw new Error(`first deploy failed: ${JSON.stringify(first)}`);
    stack = first.stack;
    bench.stacks.add(stack);
    console.log(`pulumi v${toolchain.version}; first deploy, request to serving URL: ${Date.now() - coldStart} ms (${first.url})`);

    const raw = async () => (await rawPulumiUp(bench, stack)).wallMs;
    const cli = async () => (await deployWithCli(bench, [])).wallMs;
    // One unmeasured run of each warms the file cache and the CLI's compiled-code cache.
    await raw();
    await cli();

    const library = { ours: [] as number[], raw: [] as number[], ratios: [] as number[] };
    for (let i = 0; i < pairs; i += 1) {
      const started = process.hrtime.bigint();
      const again = await planAndDeploy(request, { workspace, env });
      const oursMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (again.status !== "success") throw new Error(`redeploy failed: ${JSON.stringify(again)}`);
      const rawMs = await raw();
      library.ours.push(oursMs);
      library.raw.push(rawMs);
      library.ratios.push(oursMs / rawMs);
      console.log(`library pair ${i + 1}: planAndDeploy ${oursMs.toFixed(0)} ms, raw pulumi up ${rawMs.toFixed(0)} ms, ratio ${(oursMs / rawMs).toFixed(2)}`);
    }
    const whole = { ours: [] as number[], raw: [] as number[], ratios: [] as number[] };
    for (let i = 0; i < pairs; i += 1) {
      // Alternate which goes first, so neither always runs on a machine the other just warmed.
      let cliMs: number;
      let rawMs: number;
      if (i % 2 === 0) {
        cliMs = await cli();
        rawMs = await raw();
      } else {
        rawMs = await raw();
        cliMs = await cli();
      }
      whole.ours.push(cliMs);
      whole.raw.push(rawMs);
      whole.ratios.push(cliMs / rawMs);
      console.log(`CLI pair ${i + 1}: deployment-planner deploy ${cliMs.toFixed(0)} ms, raw pulumi up ${rawMs.toFixed(0)} ms, ratio ${(cliMs / rawMs).toFixed(2)}`);
    }
    const report = (label: string, runs: typeof library) =>
      console.log(
        `${label}: median ${median(runs.ours).toFixed(0)} ms against raw pulumi up ${median(runs.raw).toFixed(0)} ms; median ratio ${median(runs.ratios).toFixed(2)} over ${pairs} pairs`,
      );
    report("library (planAndDeploy, warm process)", library);
    report("CLI (fresh deployment-planner process)", whole);
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
