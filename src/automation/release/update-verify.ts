import { isFailure, type CanaryFigures, type FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { rollBackAfterFailedCheck } from "./auto-rollback";
import { STEPPED_CANARY_TARGETS, steppedCanaryStage } from "./canary-stage";
import { localRollout, watchCanary, type RolloutStatus } from "../engine/index";
import type { DeploymentRun } from "./deploy-run";
import { upStage, verifyStage, type CheckedSecrets } from "./deploy-stages";
import { HealthCheckError, type UpResult } from "../workspace/index";

/**
 * Stages `deploy` and `verify` together: the update, its health check, and on a failed check the automatic rollback
 * the spec asks for. A release that fails its health check fails the update itself (nothing new took traffic). A
 * canary runs inside the update on the local target (the supervisor steps it) and as an update per step on Cloud Run;
 * an aborted one is a rollback by itself, reported with what it observed.
 */
export async function updateAndVerify(
  run: DeploymentRun,
  spec: StackSpec,
  secrets: CheckedSecrets,
  onUpdated: (up: UpResult) => void = () => undefined,
): Promise<UpResult | FailureResult> {
  if (spec.rollout.strategy === "canary" && STEPPED_CANARY_TARGETS.includes(spec.target)) return steppedCanaryStage(run, spec, secrets, onUpdated);
  let up: UpResult;
  const workspace = await run.workspace();
  try {
    up = await watchCanary(workspace.dir, spec, run.progress, () => upStage(run, spec, secrets));
  } catch (error) {
    if (!(error instanceof HealthCheckError)) throw error;
    const aborted = await abortedCanary(workspace.dir, spec);
    if (aborted === null) return rollBackAfterFailedCheck(run, spec, error.toFailure(), null);
    // The stable release kept (or took back) all traffic.
    run.progress(`canary aborted: ${aborted.reason}`);
    return rollBackAfterFailedCheck(run, spec, { ...error.toFailure(), canary: canaryFigures(aborted) }, null, { always: true });
  }
  onUpdated(up);
  const verified = await verifyStage(run, spec, up);
  return isFailure(verified) ? rollBackAfterFailedCheck(run, spec, verified, up.version) : up;
}

/** The rollout of this update when it aborted (local target), else null. */
async function abortedCanary(workspaceDir: string, spec: StackSpec): Promise<RolloutStatus | null> {
  if (spec.target !== "local" || spec.rollout.strategy !== "canary") return null;
  const rollout = await localRollout(workspaceDir, spec.stack).catch(() => null);
  return rollout?.status === "aborted" ? rollout : null;
}

/** What the error object says about an aborted canary: where it stopped and what was observed of the new release. */
function canaryFigures(rollout: RolloutStatus): CanaryFigures {
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
