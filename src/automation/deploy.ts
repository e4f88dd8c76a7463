import { isFailure, isTransientFailure, type FailureResult } from "../outcome";
import type { DeployOptions, DeployResult } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { updateAndVerify } from "./update-verify";
import { checkStage, packageStage, planStage, previewStage, successResult } from "./deploy-stages";
import { withIdempotency } from "./idempotency";
import { workspaceDataDir } from "./workspace";

export type { DeployOptions, DeployResult, DeploySuccess, PreviewOnlyResult } from "./deploy-types";

/**
 * Plans a deployment request and deploys it: plan → pre-deployment checks (credentials, secrets) → package → `up`
 * → health check → the brief's success object. Any operational failure comes back as the brief's error object with
 * the stage where it happened; nothing is thrown. Each run is audited once, whatever stage it reached.
 */
export async function planAndDeploy(request: unknown, options: DeployOptions = {}): Promise<DeployResult> {
  if (options.idempotencyKey === undefined) return runDeployment(request, options);
  const dataDir = options.workspace?.dataDir ?? workspaceDataDir(options.workspaceDir ?? process.cwd());
  return withIdempotency(
    request,
    {
      key: options.idempotencyKey,
      dataDir,
      windowMs: options.idempotencyWindowMs,
      // An internal error is a bug or a crash, not an answer: a retry with the same key runs again.
      // An internal error or a transient engine failure is worth another run with the same key.
      keep: (result) => !(isFailure(result as DeployResult) && ((result as FailureResult).stage === "internal" || isTransientFailure(result))),
    },
    () => runDeployment(request, options),
  );
}

/** The pipeline: each stage returns its value or the brief's error object, which ends the run. */
async function runDeployment(request: unknown, options: DeployOptions): Promise<DeployResult> {
  const run = new DeploymentRun(options);
  try {
    const planned = await planStage(run, request);
    if (isFailure(planned)) return await run.finish(planned);
    const secrets = await checkStage(run, planned.spec);
    if (isFailure(secrets)) return await run.finish(secrets);
    const spec = await packageStage(run, planned);
    if (isFailure(spec)) return await run.finish(spec);
    if (spec.deployment_type === "preview_only") return await run.finish(await previewStage(run, spec, secrets, planned.warnings));
    const up = await updateAndVerify(run, spec, secrets);
    if (isFailure(up)) return await run.finish(up);
    return await run.finish(successResult(run, spec, up, secrets, planned.warnings));
  } catch (error) {
    return run.fail(error);
  }
}
