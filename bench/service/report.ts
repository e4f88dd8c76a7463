import type { LoadResult } from "./http-load";
import type { ProviderMode, ServiceBenchOptions } from "./options";

/** One throughput round: a provider mode, a number of worker processes, its own projects. */
export interface RoundResult {
  /** How the engine reached the dynamic providers (what the workers were given). */
  readonly mode: ProviderMode;
  /** Worker processes, each with the same concurrency. */
  readonly workers: number;
  /** Deployments that finished `succeeded`. */
  readonly succeeded: number;
  /** Deployments that finished `failed`. */
  readonly failed: number;
  /** The server's span, from the first deployment queued to the last one finished. */
  readonly seconds: number;
  /** CPU-seconds of the worker processes and everything they waited for, during the round. */
  readonly workerCpuSeconds: number;
  /** CPU-seconds of the API server during the round. */
  readonly apiCpuSeconds: number;
  /** The machine's 1-minute load average when the round started (other work on the same CPUs skews its figures). */
  readonly loadAverage: number;
  /** Dynamic-provider processes the engine started during the round (none when the workers serve the providers). */
  readonly providerProcesses: number;
  /** The first few failed deployments' reasons. */
  readonly failures: readonly string[];
  /** The round's deployments, in the order submitted. */
  readonly ids: readonly string[];
}

/** What the report derives from a round on a machine with `cpus` cores. */
export interface RoundFigures {
  /** Finished deployments per minute of the round's span. */
  readonly perMinute: number;
  /** The same, divided by the machine's CPU count. */
  readonly perMinutePerCore: number;
  /** The round's CPU-seconds (workers and API server) divided by its finished deployments. */
  readonly cpuSecondsPerDeployment: number;
}

/** The targets, after against before: CPU per deployment at most half, throughput per core up by half. */
export const TARGETS = { cpuPerDeployment: 0.5, perCoreThroughput: 1.5 } as const;

/** Deployments per minute (overall and per core) and CPU-seconds per deployment. */
export function roundFigures(round: RoundResult, cpus: number): RoundFigures {
  const finished = round.succeeded + round.failed;
  const perMinute = (finished / round.seconds) * 60;
  return { perMinute, perMinutePerCore: perMinute / cpus, cpuSecondsPerDeployment: (round.workerCpuSeconds + round.apiCpuSeconds) / finished };
}

/** One line per round: outcome, throughput, CPU. */
export function describeRound(round: RoundResult, cpus: number): string {
  const figures = roundFigures(round, cpus);
  return (
    `  ${round.succeeded} succeeded, ${round.failed} failed in ${round.seconds.toFixed(1)} s: ${figures.perMinute.toFixed(1)} deployments/min, ` +
    `${figures.perMinutePerCore.toFixed(1)}/min per core (${cpus} CPUs); CPU ${figures.cpuSecondsPerDeployment.toFixed(2)} s per deployment ` +
    `(workers ${round.workerCpuSeconds.toFixed(1)} s, API server ${round.apiCpuSeconds.toFixed(1)} s); ${round.providerProcesses} dynamic-provider process(es) started; ` +
    `load ${round.loadAverage.toFixed(1)} at the start`
  );
}

/** After against before, per worker count and over both rounds of each mode. */
export interface ModeComparison {
  readonly before: ProviderMode;
  readonly after: ProviderMode;
  readonly cpuPerDeployment: { readonly oneWorker: number; readonly twoWorkers: number; readonly all: number };
  readonly perCoreThroughput: { readonly oneWorker: number; readonly twoWorkers: number };
}

/** Compares the last mode's rounds with the first mode's; null when only one mode ran. */
export function compareModes(rounds: readonly RoundResult[], modes: readonly ProviderMode[], cpus: number): ModeComparison | null {
  if (modes.length < 2) return null;
  const before = modes[0]!;
  const after = modes[modes.length - 1]!;
  const pick = (mode: ProviderMode, workers: number) => roundFigures(rounds.find((r) => r.mode === mode && r.workers === workers)!, cpus);
  const cpuOver = (mode: ProviderMode) => {
    const own = rounds.filter((r) => r.mode === mode);
    const cpu = own.reduce((sum, r) => sum + r.workerCpuSeconds + r.apiCpuSeconds, 0);
    return cpu / own.reduce((sum, r) => sum + r.succeeded + r.failed, 0);
  };
  const ratio = (workers: number, key: keyof RoundFigures) => pick(after, workers)[key] / pick(before, workers)[key];
  return {
    before,
    after,
    cpuPerDeployment: { oneWorker: ratio(1, "cpuSecondsPerDeployment"), twoWorkers: ratio(2, "cpuSecondsPerDeployment"), all: cpuOver(after) / cpuOver(before) },
    perCoreThroughput: { oneWorker: ratio(1, "perMinutePerCore"), twoWorkers: ratio(2, "perMinutePerCore") },
  };
}

/** The closing summary: each mode's throughput with the two-worker figure beside its CPU count, then the ratios. */
export function summaryLines(rounds: readonly RoundResult[], comparison: ModeComparison | null, cpus: number): string[] {
  const lines: string[] = [];
  for (const mode of new Set(rounds.map((r) => r.mode))) {
    const one = roundFigures(rounds.find((r) => r.mode === mode && r.workers === 1)!, cpus);
    const two = roundFigures(rounds.find((r) => r.mode === mode && r.workers === 2)!, cpus);
    lines.push(
      `${mode}: 1 worker ${one.perMinute.toFixed(1)}/min, 2 workers ${two.perMinute.toFixed(1)}/min on ${cpus} CPUs ` +
        `(${two.perMinutePerCore.toFixed(1)}/min per core; 2 against 1 worker ${(two.perMinute / one.perMinute).toFixed(2)}); ` +
        `CPU per deployment ${one.cpuSecondsPerDeployment.toFixed(2)} s / ${two.cpuSecondsPerDeployment.toFixed(2)} s`,
    );
  }
  if (comparison) {
    const { cpuPerDeployment: cpu, perCoreThroughput: core } = comparison;
    lines.push(
      `${comparison.after} against ${comparison.before}: CPU per deployment ${cpu.oneWorker.toFixed(2)} (1 worker), ${cpu.twoWorkers.toFixed(2)} (2 workers), ` +
        `${cpu.all.toFixed(2)} over both (target <= ${TARGETS.cpuPerDeployment}); throughput per core ${core.oneWorker.toFixed(2)} (1 worker), ` +
        `${core.twoWorkers.toFixed(2)} (2 workers) (target >= ${TARGETS.perCoreThroughput})`,
    );
  }
  return lines;
}

/** The reads' comparison line: a deployment's record against /healthz under the same load. */
export function readsLine(reads: LoadResult, health: LoadResult): string {
  return (
    `reads: GET /v1/deployments/{id} p50 ${reads.p50.toFixed(2)} ms / p99 ${reads.p99.toFixed(2)} ms against /healthz ` +
    `p50 ${health.p50.toFixed(2)} ms / p99 ${health.p99.toFixed(2)} ms (p50 ratio ${(reads.p50 / health.p50).toFixed(2)})`
  );
}

/** Every figure of the run, for the closing JSON line. */
export function figuresJson(
  options: ServiceBenchOptions,
  cpus: number,
  clockTicks: number,
  rounds: readonly RoundResult[],
  comparison: ModeComparison | null,
  reads: LoadResult,
  health: LoadResult,
): Record<string, unknown> {
  const load = (result: LoadResult) => ({ per_second: round2(result.perSecond), p50_ms: round2(result.p50), p99_ms: round2(result.p99), non_2xx: result.non2xx, errors: result.errors });
  return {
    bench: "service",
    cpus,
    clock_ticks_per_second: clockTicks,
    deployments: options.deployments,
    projects: options.projects,
    concurrency_per_worker: options.concurrency,
    modes: options.modes,
    rounds: rounds.map((round) => {
      const figures = roundFigures(round, cpus);
      return {
        mode: round.mode,
        workers: round.workers,
        succeeded: round.succeeded,
        failed: round.failed,
        seconds: round2(round.seconds),
        per_minute: round2(figures.perMinute),
        per_minute_per_core: round2(figures.perMinutePerCore),
        cpu_seconds: { workers: round2(round.workerCpuSeconds), api_server: round2(round.apiCpuSeconds) },
        cpu_seconds_per_deployment: round2(figures.cpuSecondsPerDeployment),
        provider_processes: round.providerProcesses,
        load_average_at_start: round2(round.loadAverage),
      };
    }),
    after_against_before: comparison && {
      before: comparison.before,
      after: comparison.after,
      cpu_per_deployment: { one_worker: round2(comparison.cpuPerDeployment.oneWorker), two_workers: round2(comparison.cpuPerDeployment.twoWorkers), all: round2(comparison.cpuPerDeployment.all) },
      per_core_throughput: { one_worker: round2(comparison.perCoreThroughput.oneWorker), two_workers: round2(comparison.perCoreThroughput.twoWorkers) },
      targets: { cpu_per_deployment_at_most: TARGETS.cpuPerDeployment, per_core_throughput_at_least: TARGETS.perCoreThroughput },
    },
    read_clients: options.clients,
    read_seconds: options.readSeconds,
    deployment_read: load(reads),
    healthz: load(health),
    read_p50_ratio: round2(reads.p50 / health.p50),
    read_p99_ratio: round2(reads.p99 / health.p99),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
