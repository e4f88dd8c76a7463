import { localStateDir } from "../../components/local/release-settings";
import { callSupervisor, supervisorStatus } from "../../components/local/supervisor-client";
import type { StackSpec } from "../../planner/spec";

/** Requests and failures of one release, as a rollout counts them. */
export interface ReleaseCounts {
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
}

/** A local-target rollout as the stack's supervisor reports it. */
export interface RolloutStatus {
  /** `held`: its deployer went away; the weights stay until the next operation on the stack aborts it. */
  readonly status: "running" | "held" | "completed" | "aborted";
  readonly reason: string | null;
  readonly stable: string;
  readonly canary: string;
  readonly steps: readonly number[];
  /** The current step, 1-based. */
  readonly step: number;
  /** The canary's share of the traffic now, in percent. */
  readonly weight: number;
  readonly step_interval_ms: number;
  readonly max_error_rate: number;
  readonly min_requests: number;
  readonly started_at: string;
  readonly step_started_at: string;
  /** Time until the last step has been observed, if every step passes. */
  readonly time_left_ms: number;
  readonly step_counts: { readonly canary: ReleaseCounts; readonly stable: ReleaseCounts };
  readonly total_counts: { readonly canary: ReleaseCounts; readonly stable: ReleaseCounts };
  readonly first_canary_error_at: string | null;
  readonly aborted_at: string | null;
  /** When the rollout completed or aborted. */
  readonly ended_at: string | null;
}

/** How often a deploy reports a running canary's progress. */
const WATCH_INTERVAL_MS = 1_000;

/** The stack's current or last rollout on the local target, or null (another target, no supervisor, none yet). */
export async function localRollout(workspaceDir: string, stack: string): Promise<RolloutStatus | null> {
  const status = await supervisorStatus(localStateDir(stack), workspaceDir);
  return ((status as { rollout?: RolloutStatus | null } | null)?.rollout ?? null) as RolloutStatus | null;
}

/** Whether a rollout still decides where traffic goes. */
export function rolloutInProgress(rollout: RolloutStatus | null): boolean {
  return rollout !== null && (rollout.status === "running" || rollout.status === "held");
}

/** One progress line for a rollout step: weight, requests seen and error rate of the new release. */
export function describeRolloutStep(rollout: RolloutStatus): string {
  const canary = rollout.step_counts.canary;
  const stable = rollout.step_counts.stable;
  return (
    `canary step ${rollout.step}/${rollout.steps.length}: ${rollout.weight}% of traffic; new release ${canary.requests} requests, ` +
    `error rate ${(canary.error_rate * 100).toFixed(1)}%; stable ${stable.requests} requests`
  );
}

/**
 * Reports a local canary's progress while `during` runs (the engine update that runs the rollout): a line per step
 * and whenever the counts move, through `onProgress`. Does nothing for other rollouts and targets.
 */
export async function watchCanary<T>(workspaceDir: string, spec: StackSpec, onProgress: (line: string) => void, during: () => Promise<T>): Promise<T> {
  if (spec.target !== "local" || spec.rollout.strategy !== "canary") return during();
  let last = "";
  // Only this deploy's rollout counts: one that started after the update did (allowing for the poll interval).
  const startedAfter = Date.now() - WATCH_INTERVAL_MS;
  const timer = setInterval(() => {
    void localRollout(workspaceDir, spec.stack).then((rollout) => {
      if (!rolloutInProgress(rollout) || Date.parse(rollout!.started_at) < startedAfter) return;
      const line = describeRolloutStep(rollout!);
      if (line !== last) onProgress(line);
      last = line;
    });
  }, WATCH_INTERVAL_MS);
  timer.unref();
  try {
    return await during();
  } finally {
    clearInterval(timer);
  }
}

/** Aborts a running (or held) local rollout: the stable release takes all traffic, the new one stops. True if one was. */
export async function abortLocalRollout(workspaceDir: string, stack: string, reason: string): Promise<boolean> {
  const answer = await callSupervisor<{ aborted?: boolean }>(localStateDir(stack), "POST", "/rollout/abort", { reason }, 5_000, workspaceDir).catch(() => null);
  return answer?.status === 200 && answer.body.aborted === true;
}
