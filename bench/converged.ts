/**
 * A no-change deploy as a user runs it, a fresh `deployment-planner deploy <request>` CLI process, against a raw
 * `pulumi up --yes --skip-preview -s <stack>` of the same stack (the directory program through the language host), in
 * rotating order within one run, on the local static example:
 *
 * - converged: the stack already serves the request, so the deploy answers from the backend's records and one request
 *   to the release (no engine run);
 * - refresh: the same deploy with `--refresh`, which runs the engine anyway (`pulumi up --refresh`) and reports drift.
 *
 * Each run's wall time and CPU time (the process and the children it waited for) are measured; every converged run
 * must answer `converged: true` and every refresh run must have run the engine, or the bench stops. Prints each round,
 * the medians and the median ratios (ours / raw) beside their targets (0.2 converged, 0.7 with --refresh).
 *
 *   npx tsx bench/converged.ts [rounds]
 */
import os from "node:os";
import { planAndDeploy } from "../src/automation/index";
import type { Measured } from "./support/processes";
import { median } from "./support/stats";
import { deployWithCli, openBenchWorkspace, rawPulumiUp } from "./support/workspace";

const rounds = Math.max(5, Number(process.argv[2] ?? 7));

async function main(): Promise<void> {
  const bench = await openBenchWorkspace("converged", "bench-converged");
  const { env, workspace, toolchain, request } = bench;
  let stack = "";
  try {
    const first = await planAndDeploy(request, { workspace, env });
    if (first.status !== "success") throw new Error(`first deploy failed: ${JSON.stringify(first)}`);
    stack = first.stack;
    bench.stacks.add(stack);
    console.log(`pulumi v${toolchain.version}, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; ${stack} serves ${first.url}`);

    const runs = {
      raw: () => rawPulumiUp(bench, stack, true),
      converged: async () => {
        const run = await deployWithCli(bench, ["--json"], true);
        const result = JSON.parse(run.stdout) as { converged?: boolean };
        if (result.converged !== true) throw new Error(`a no-change deploy ran the engine: ${run.stdout}`);
        return run;
      },
      refresh: async () => {
        const run = await deployWithCli(bench, ["--json", "--refresh"], true);
        const result = JSON.parse(run.stdout) as { converged?: boolean; drift?: unknown };
        if (result.converged === true || !Array.isArray(result.drift)) throw new Error(`a --refresh deploy did not run the engine: ${run.stdout}`);
        return run;
      },
    };
    // One unmeasured run of each warms the file cache and the CLI's compiled-code cache.
    for (const run of Object.values(runs)) await run();

    const kinds = ["raw", "converged", "refresh"] as const;
    const figures = Object.fromEntries(kinds.map((kind) => [kind, { wall: [] as number[], cpu: [] as number[] }])) as Record<(typeof kinds)[number], { wall: number[]; cpu: number[] }>;
    const ratios = { converged: [] as number[], refresh: [] as number[], convergedCpu: [] as number[], refreshCpu: [] as number[] };
    for (let i = 0; i < rounds; i += 1) {
      // Each round starts with a different kind, so none always runs on a machine another just warmed.
      const order = [...kinds.slice(i % 3), ...kinds.slice(0, i % 3)];
      const round: Partial<Record<(typeof kinds)[number], Measured>> = {};
      for (const kind of order) round[kind] = await runs[kind]();
      for (const kind of kinds) {
        figures[kind].wall.push(round[kind]!.wallMs);
        figures[kind].cpu.push(round[kind]!.cpuMs);
      }
      const raw = round.raw!;
      ratios.converged.push(round.converged!.wallMs / raw.wallMs);
      ratios.refresh.push(round.refresh!.wallMs / raw.wallMs);
      ratios.convergedCpu.push(round.converged!.cpuMs / raw.cpuMs);
      ratios.refreshCpu.push(round.refresh!.cpuMs / raw.cpuMs);
      console.log(
        `round ${i + 1} (${order.join(", ")}): raw pulumi up ${raw.wallMs.toFixed(0)} ms (cpu ${raw.cpuMs.toFixed(0)}), ` +
          `converged deploy ${round.converged!.wallMs.toFixed(0)} ms (cpu ${round.converged!.cpuMs.toFixed(0)}), ` +
          `deploy --refresh ${round.refresh!.wallMs.toFixed(0)} ms (cpu ${round.refresh!.cpuMs.toFixed(0)})`,
      );
    }
    const line = (label: string, kind: "converged" | "refresh", target: number) =>
      console.log(
        `${label}: median ${median(figures[kind].wall).toFixed(0)} ms against raw pulumi up ${median(figures.raw.wall).toFixed(0)} ms; ` +
          `median ratio ${median(ratios[kind]).toFixed(2)} (target <= ${target}); CPU ${median(figures[kind].cpu).toFixed(0)} ms against ` +
          `${median(figures.raw.cpu).toFixed(0)} ms, median ratio ${median(ratios[kind === "converged" ? "convergedCpu" : "refreshCpu"]).toFixed(2)}; ${rounds} rounds`,
      );
    line("no-change deploy, fresh CLI process (converged, no engine run)", "converged", 0.2);
    line("no-change deploy --refresh, fresh CLI process (engine with refresh)", "refresh", 0.7);
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
