import type { CanaryFigures } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { localStateDir } from "./release-settings";
import { abortRollout, promoteRollout, supervisorStatus, type RolloutStatus } from "./supervisor-client";

/**
 * The local target's canary as the automation layer sees it: the supervisor steps the rollout inside the engine
 * update that starts the new release; these functions read, report and abort it through the supervisor's client.
 */

/** How often a deploy reports a running canary's progress. */
const WATCH_INTERVAL_MS = 1_000;

/** The stack's current or last rollout on the local target, or null (no supervisor, none yet). */
export async function localRollout(workspaceDir: string, stack: string): Promise<RolloutStatus | null> {
  return (await supervisorStatus(localStateDir(stack), workspaceDir))?.rollout ?? null;
}

/** Whether a rollout still decides where traffic goes. */
export function rolloutInProgress(rollout: RolloutStatus | null): rollout is RolloutStatus {
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
 * and whenever the counts move, through `onProgress`. Does nothing for other rollouts.
 */
export async function watchCanary<T>(workspaceDir: string, spec: StackSpec, onProgress: (line: string) => void, during: () => Promise<T>): Promise<T> {
  if (spec.rollout.strategy !== "canary") return during();
  let last = "";
  // Only this deploy's rollout counts: one that started after the update did (allowing for the poll interval).
  const startedAfter = Date.now() - WATCH_INTERVAL_MS;
  const timer = setInterval(() => {
    void localRollout(workspaceDir, spec.stack).then((rollout) => {
      if (!rolloutInProgress(rollout) || Date.parse(rollout.started_at) < startedAfter) return;
      const line = describeRolloutStep(rollout);
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
  const answer = await abortRollout({ stateDir: localStateDir(stack), workspaceDir }, reason).catch(() => null);
  return answer?.aborted === true;
}

/**
 * Completes a running local rollout now: the new release takes all traffic and the deploy that runs it goes on to its
 * health check. True if one was running (a held rollout, whose deployer went away, is not completed).
 */
export async function promoteLocalRollout(workspaceDir: string, stack: string, reason: string): Promise<boolean> {
  const answer = await promoteRollout({ stateDir: localStateDir(stack), workspaceDir }, reason).catch(() => null);
  return answer?.promoted === true;
}

/** The figures of this update's canary when it aborted (the supervisor stopped the new release), else null. */
export async function abortedCanaryFigures(workspaceDir: string, spec: StackSpec): Promise<CanaryFigures | null> {
  if (spec.rollout.strategy !== "canary") return null;
  const rollout = await localRollout(workspaceDir, spec.stack).catch(() => null);
  if (rollout?.status !== "aborted") return null;
  return {
    step: rollout.step,
    weight_percent: rollout.steps[rollout.step - 1] ?? null,
    error_rate: rollout.step_counts.canary.error_rate,
    requests: rollout.step_counts.canary.requests,
    errors: rollout.step_counts.canary.errors,
    max_error_rate: rollout.max_error_rate,
    reason: rollout.reason,
  };
}
