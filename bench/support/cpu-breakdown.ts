/**
 * One CLI run's CPU split by process: the CLI itself, each pulumi command it ran (the dynamic providers they started
 * taken out), the dynamic-provider processes, the local target's detached processes, and what is left over.
 */
import type { CliRun } from "./cli-run";
import { CLI_BIN } from "./processes";
import { pulumiCommandName, type DetachedCpu, type NodeProcessCpu, type WrappedRun } from "./cpu-probe";
import { median } from "./stats";

/** CPU milliseconds per part, in the order parts were met; `total` last. */
export type CpuParts = Record<string, number>;

/** The part every breakdown ends with: the CLI and its children, plus the detached processes' share. */
export const TOTAL = "total";
const CLI_OWN = "CLI process (own)";
const PROVIDERS = "dynamic-provider processes";
const OTHER = "other children of the CLI";

/** What one run's processes reported, and the detached processes' CPU before and after it. */
export interface RunEvidence {
  readonly run: CliRun;
  readonly wrapped: readonly WrappedRun[];
  readonly nodes: readonly NodeProcessCpu[];
  readonly detachedBefore: readonly DetachedCpu[];
  readonly detachedAfter: readonly DetachedCpu[];
}

/** The run's breakdown, and how many pulumi commands and provider processes it started. */
export function breakdown(evidence: RunEvidence): { parts: CpuParts; commands: string[]; providers: number } {
  const { run } = evidence;
  // A little slack on both ends: the wrappers' clock readings and ours are taken a few instructions apart.
  const within = (startMs: number) => startMs >= run.startMs - 100 && startMs <= run.endMs + 100;
  const wrapped = evidence.wrapped.filter((entry) => within(entry.startMs));
  const pulumi = wrapped.filter((entry) => entry.kind === "pulumi");
  const providers = wrapped.filter((entry) => entry.kind === "provider");
  const parts: CpuParts = {};
  const add = (name: string, ms: number) => (parts[name] = (parts[name] ?? 0) + ms);

  add(CLI_OWN, evidence.nodes.filter((node) => node.argv[0] === CLI_BIN && within(node.startMs)).reduce((sum, node) => sum + node.cpuMs, 0));
  let pulumiTotal = 0;
  for (const command of pulumi) {
    pulumiTotal += command.cpuMs;
    // A provider is the engine's child: GNU time counted it in the command that started it, so it is taken out there.
    const inside = providers.filter((provider) => provider.startMs >= command.startMs && provider.startMs <= command.startMs + command.wallMs);
    add(`pulumi ${pulumiCommandName(command.args)}`, command.cpuMs - inside.reduce((sum, provider) => sum + provider.cpuMs, 0));
  }
  add(PROVIDERS, providers.reduce((sum, provider) => sum + provider.cpuMs, 0));

  let detached = 0;
  for (const after of evidence.detachedAfter) {
    const before = evidence.detachedBefore.find((entry) => entry.pid === after.pid)?.cpuMs ?? 0;
    const label = after.label === "supervisor" ? "local supervisor" : after.label === "static server" ? "local static servers" : "other detached processes";
    add(label, after.cpuMs - before);
    detached += after.cpuMs - before;
  }
  add(OTHER, run.cpuMs - parts[CLI_OWN]! - pulumiTotal);
  parts[TOTAL] = run.cpuMs + detached;
  return { parts, commands: pulumi.map((command) => pulumiCommandName(command.args)), providers: providers.length };
}

/** Part names in reading order: the CLI, the pulumi commands, the other processes, what is left over, the total. */
function ordered(names: Iterable<string>): string[] {
  const rank = (name: string) => (name === CLI_OWN ? 0 : name.startsWith("pulumi ") ? 1 : name === OTHER ? 3 : name === TOTAL ? 4 : 2);
  // A stable sort keeps the order parts were met in within each rank.
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b));
}

/** The median of each part over runs (a part a run lacks counts as zero there), `total` last. */
export function medianParts(runs: readonly CpuParts[]): CpuParts {
  const names = ordered(runs.flatMap((parts) => Object.keys(parts)));
  return Object.fromEntries(names.map((name) => [name, median(runs.map((parts) => parts[name] ?? 0))]));
}

/** A table of CPU seconds per part for each mode, and the ratio of the second mode's to the first's. */
export function partsTable(title: string, modes: readonly [string, string], figures: readonly [CpuParts, CpuParts]): string {
  const names = ordered([...Object.keys(figures[0]), ...Object.keys(figures[1]), TOTAL]);
  const width = Math.max(...names.map((name) => name.length), 10) + 2;
  const cell = (text: string) => text.padStart(14);
  const lines = [`${title}`, `  ${"part".padEnd(width)}${cell(`${modes[0]} s`)}${cell(`${modes[1]} s`)}${cell("ratio")}`];
  for (const name of names) {
    const [a, b] = [figures[0][name] ?? 0, figures[1][name] ?? 0];
    // Below 50 ms a part is within a few clock ticks of zero, and its ratio says nothing.
    const ratio = a >= 50 ? (b / a).toFixed(2) : "-";
    lines.push(`  ${name.padEnd(width)}${cell((a / 1000).toFixed(2))}${cell((b / 1000).toFixed(2))}${cell(ratio)}`);
  }
  return lines.join("\n");
}
