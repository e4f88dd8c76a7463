import { isFailure, isTransientFailure, type FailureResult } from "../../outcome";
import type { DeployOptions, DeployResult, PinnedDeployment } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { updateAndVerify } from "./update-verify";
import { convergedStage } from "./converged-stage";
import { checkStage, packageStage, pinnedStage, planStage, previewStage, successResult } from "./deploy-stages";
import { withIdempotency } from "../records/index";
import { workspaceDataDir } from "../workspace/index";

export type { AcceptedBundle, DeployOptions, DeployResult, DeploySuccess, PinnedDeployment, PreviewOnlyResult } from "./deploy-types";

/**
 * Plans a deployment request and deploys it: plan → pre-deployment checks (credentials, secrets) → package → `up`
 * → health check → the success result. A deployment the stack already serves (same spec, bundle and secrets as its
 * latest successful update, whose release proves it answers now) runs no engine and answers `converged: true`, unless
 * `refresh` is asked for. Any operational failure comes back as a failure result (`FailureResult`) with
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

/**
 * Deploys a deployment planned and packaged earlier (a service does so when it accepts one): the pipeline from the
 * pre-deployment checks on, with the spec as planned then and its bundle as packaged then, verified against its
 * digest; the request is not planned again and no source directory is read. Idempotency keys work as for
 * `planAndDeploy`, over the spec and the bundle's digest.
 */
export async function deployPinned(pinned: PinnedDeployment, options: DeployOptions = {}): Promise<DeployResult> {
  if (options.idempotencyKey === undefined) return runDeployment(null, options, pinned);
  const dataDir = options.workspace?.dataDir ?? workspaceDataDir(options.workspaceDir ?? process.cwd());
  return withIdempotency(
    { spec: pinned.spec, bundle: pinned.bundle?.digest ?? null },
    {
      key: options.idempotencyKey,
      dataDir,
      windowMs: options.idempotencyWindowMs,
      keep: (result) => !(isFailure(result as DeployResult) && ((result as FailureResult).stage === "internal" || isTransientFailure(result))),
    },
    () => runDeployment(null, options, pinned),
  );
}

/** The pipeline: each stage returns its value or a failure result, which ends the run. */
async function runDeployment(request: unknown, options: DeployOptions, pinned?: PinnedDeployment): Promise<DeployResult> {
  const run = new DeploymentRun(options);
  try {
    const planned = pinned ? pinnedStage(run, pinned) : await planStage(run, request);
    if (isFailure(planned)) return await run.finish(planned);
    const secrets = await checkStage(run, planned.spec);
    if (isFailure(secrets)) return await run.finish(secrets);
    const spec = await packageStage(run, planned);
    if (isFailure(spec)) return await run.finish(spec);
    if (spec.deployment_type === "preview_only") return await run.finish(await previewStage(run, spec, secrets, planned.warnings, options.keepStackFile === true));
    const converged = await convergedStage(run, spec, secrets, planned.warnings);
    if (converged) return await run.finish(converged);
    const up = await updateAndVerify(run, spec, secrets);
    if (isFailure(up)) return await run.finish(up);
    return await run.finish(successResult(run, spec, up, secrets, planned.warnings));
  } catch (error) {
    return run.fail(error);
  }
}
