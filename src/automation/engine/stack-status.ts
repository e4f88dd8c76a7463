import { TARGET_RUNTIMES, type RolloutStatus } from "../../components/runtimes";
import { checkLiveRelease, type LiveRelease } from "./live-release";
import { summarizeStack, type StackSummary } from "./stack-list";
import type { PlannerWorkspace } from "../workspace/index";

/** One stack's state for `status`: its summary, and its current or last canary rollout. */
export interface StackStatus extends StackSummary {
  /** The rollout in progress, or the last one and how it ended, where the target reports one (null when there was none). */
  readonly last_rollout: RolloutStatus | null;
  /** What answers the stack's URL now (one request, proving it is the stack's release); null when it has no URL. */
  readonly live: LiveRelease | null;
}

/**
 * A stack's status, or null when the workspace has no stack file for it. Reads files, asks the target's runtime for
 * its rollout (the local supervisor) and requests the stack's URL once.
 */
export async function stackStatus(workspace: PlannerWorkspace, stack: string): Promise<StackStatus | null> {
  const summary = await summarizeStack(workspace, stack);
  if (summary === null) return null;
  const [lastRollout, live] = await Promise.all([
    TARGET_RUNTIMES[summary.target].rollout?.(workspace.dir, stack).catch(() => null) ?? null,
    checkLiveRelease(workspace, stack).catch(() => null),
  ]);
  return { ...summary, last_rollout: lastRollout, live: live === null ? null : withRollout(live, lastRollout) };
}

/**
 * While a canary rollout runs, the stack's URL answers with either of its two releases: the state records the stable
 * one until the rollout ends, so an answer from the rollout's canary is the stack's own release, not a stranger's.
 */
function withRollout(live: LiveRelease, rollout: RolloutStatus | null): LiveRelease {
  if (live.state !== "other_release" || rollout === null || (rollout.status !== "running" && rollout.status !== "held")) return live;
  if (live.release === null || (live.release !== rollout.canary && live.release !== rollout.stable)) return live;
  const role = live.release === rollout.canary ? "the rollout's new release" : "the rollout's stable release";
  return { ...live, state: "serving", detail: `${role} ${live.release} answers ${live.checked_url} (a canary rollout at ${rollout.weight}% is in progress)` };
}

/** Human-readable lines for a rollout: step, weights, what each release served, time left or how it ended. */
export function describeRollout(rollout: RolloutStatus): string[] {
  const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
  const counts = rollout.step_counts;
  const lines = [
    `rollout ${rollout.status}: step ${rollout.step}/${rollout.steps.length} (${rollout.steps.join("% → ")}%), new release ${rollout.weight}% / stable ${100 - rollout.weight}% of traffic`,
    `  this step: new release ${counts.canary.requests} requests, error rate ${percent(counts.canary.error_rate)}; stable ${counts.stable.requests} requests, error rate ${percent(counts.stable.error_rate)}`,
    `  gates: abort above ${percent(rollout.max_error_rate)} errors once ${rollout.min_requests} requests were seen; ${rollout.step_interval_ms / 1000}s per step`,
  ];
  if (rollout.status === "running" || rollout.status === "held") lines.push(`  about ${Math.ceil(rollout.time_left_ms / 1000)}s left if every step passes`);
  if (rollout.reason) lines.push(`  ${rollout.status === "aborted" ? "aborted" : "note"}: ${rollout.reason}`);
  return lines;
}
