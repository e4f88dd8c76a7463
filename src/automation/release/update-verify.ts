import { TARGET_RUNTIMES } from "../../components/runtimes";
import { isFailure, type FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { rollBackAfterFailedCheck } from "./auto-rollback";
import { steppedCanaryStage } from "./canary-stage";
import type { DeploymentRun } from "./deploy-run";
import { upStage, verifyStage, type CheckedSecrets } from "./deploy-stages";
import { HealthCheckError, type UpResult } from "../workspace/index";

/**
 * Stages `deploy` and `verify` together: the update, its health check, and on a failed check the automatic rollback
 * the spec asks for. A release that fails its health check fails the update itself (nothing new took traffic). A
 * canary runs as the target's runtime says: inside the update (the local supervisor steps it, the runtime watches it)
 * or as an update per step (Cloud Run's stepped canary); an aborted one is a rollback by itself, reported with what
 * it observed.
 */
export async function updateAndVerify(
  run: DeploymentRun,
  spec: StackSpec,
  secrets: CheckedSecrets,
  onUpdated: (up: UpResult) => void = () => undefined,
): Promise<UpResult | FailureResult> {
  const runtime = TARGET_RUNTIMES[spec.target];
  if (spec.rollout.strategy === "canary" && runtime.steppedCanary) return steppedCanaryStage(run, spec, secrets, onUpdated, runtime.steppedCanary);
  let up: UpResult;
  const workspace = await run.workspace();
  const update = () => upStage(run, spec, secrets);
  try {
    up = await (runtime.watchUpdate ? runtime.watchUpdate(workspace.dir, spec, run.progress, update) : update());
  } catch (error) {
    if (!(error instanceof HealthCheckError)) throw error;
    const aborted = (await runtime.abortedCanary?.(workspace.dir, spec).catch(() => null)) ?? null;
    if (aborted === null) return rollBackAfterFailedCheck(run, spec, error.toFailure(), null);
    // The stable release kept (or took back) all traffic.
    run.progress(`canary aborted: ${aborted.reason}`);
    return rollBackAfterFailedCheck(run, spec, { ...error.toFailure(), canary: aborted }, null, { always: true });
  }
  onUpdated(up);
  const verified = await verifyStage(run, spec, up);
  return isFailure(verified) ? rollBackAfterFailedCheck(run, spec, verified, up.version) : up;
}
