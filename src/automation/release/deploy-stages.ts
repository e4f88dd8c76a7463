import path from "node:path";
import { failure, isFailure, type FailureResult } from "../../outcome";
import { packageSource } from "../../packager/index";
import { plan } from "../../planner/index";
import { TARGET_RUNTIMES } from "../../components/runtimes";
import type { TrafficStep } from "../../components/types";
import type { StackSpec } from "../../planner/spec";
import type { SecretProvenance } from "../../secrets/types";
import { preDeploymentChecks } from "./checks";
import type { AcceptedBundle, DeploySuccess, PinnedDeployment, PreviewOnlyResult } from "./deploy-types";
import type { DeploymentRun } from "./deploy-run";
import { HealthCheckError, type OperationOptions, type UpResult } from "../workspace/index";
import {
  previewStack,
  upStack,
  identityFor,
  noteMessage,
  updateMessage,
  healthUrl,
  waitForHealthy,
} from "../engine/index";
import { specForRedeploy } from "./redeploy";
import { secretsFingerprint } from "./secrets-fingerprint";

/** A planned spec, the planner's warnings, and whether it re-applies a recorded update (no packaging then). */
export interface PlannedDeployment {
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
  readonly fromHistory: boolean;
  /** Set when the deployment was planned and packaged on acceptance: its bundle, never its source, is deployed. */
  readonly accepted?: { readonly bundle: AcceptedBundle | null };
}

/** Resolved secret values (in memory only) and where each came from. */
export interface CheckedSecrets {
  readonly values: Readonly<Record<string, string>>;
  readonly provenance: readonly SecretProvenance[];
}

/** Stage `validation`/`plan`: the request becomes a spec; a redeploy request takes its spec from the stack's history. */
export async function planStage(run: DeploymentRun, request: unknown): Promise<PlannedDeployment | FailureResult> {
  run.progress("planning");
  const planned = plan(request, { baseDir: run.options.baseDir ?? process.cwd() });
  if (isFailure(planned)) return planned;
  if (planned.status !== "redeploy") {
    run.about(planned.spec);
    if (planned.spec.deployment_type === "preview_only") run.action = "preview";
    return { spec: planned.spec, warnings: planned.warnings, fromHistory: false };
  }
  run.action = "redeploy";
  run.stack = `${planned.intent.project_id}.${planned.intent.environment}`;
  // A redeploy reads the stack's history, so the workspace (and the engine) is needed before the checks.
  const spec = await specForRedeploy(await run.workspace(), planned.intent);
  if (isFailure(spec)) return spec;
  run.about(spec);
  return { spec, warnings: [], fromHistory: true };
}

/** Stage `plan` of a deployment planned when it was accepted: its spec as planned then, never planned again. */
export function pinnedStage(run: DeploymentRun, pinned: PinnedDeployment): PlannedDeployment {
  run.progress("using the plan made when the deployment was accepted");
  run.about(pinned.spec);
  if (pinned.spec.deployment_type === "preview_only") run.action = "preview";
  return { spec: pinned.spec, warnings: pinned.warnings, fromHistory: false, accepted: { bundle: pinned.bundle } };
}

/** Stage `env_setup`: target packages and credentials present, every secret resolved, before any engine process. */
export async function checkStage(run: DeploymentRun, spec: StackSpec): Promise<CheckedSecrets | FailureResult> {
  run.progress(`pre-deployment checks for ${spec.stack} on ${spec.target}`);
  const checked = await preDeploymentChecks(spec, { env: run.options.env ?? process.env, baseDir: run.options.baseDir, signal: run.options.signal });
  if (isFailure(checked)) return checked;
  for (const secret of checked.secrets) run.masker.add(secret.value);
  return { values: Object.fromEntries(checked.secrets.map((s) => [s.name, s.value])), provenance: checked.provenance };
}

/** Stage `package`: the source becomes a content-addressed bundle recorded in the spec (relative to the workspace). */
export async function packageStage(run: DeploymentRun, planned: PlannedDeployment): Promise<StackSpec | FailureResult> {
  let spec = planned.spec;
  if (planned.accepted) {
    const accepted = await acceptedBundleStage(run, spec, planned.accepted.bundle);
    if (isFailure(accepted)) return accepted;
    spec = accepted;
  } else if (!planned.fromHistory && spec.build.source) {
    run.progress(`packaging ${spec.build.source}`);
    const workspace = await run.workspace();
    const bundle = await packageSource(spec.build.source, { bundlesDir: workspace.bundlesDir }).catch((error: Error) =>
      failure("package", run.masker.mask(error.message), "Check that the source directory exists, is readable and holds the app."),
    );
    if (isFailure(bundle)) return bundle;
    // Recorded relative to the workspace, so the stack file and the state hold no machine path.
    const relative = path.relative(workspace.dir, bundle.path).split(path.sep).join("/");
    spec = { ...spec, artifact: { digest: bundle.digest, path: relative } };
    run.about(spec);
  }
  if (TARGET_RUNTIMES[spec.target].needsBundle && !spec.artifact) {
    return failure("package", `the ${spec.target} target needs the app's source, and the request for ${spec.stack} names none`, "Add 'source' (the app's directory) to the request.");
  }
  return spec;
}

/**
 * The bundle packaged when the deployment was accepted, verified against its digest and put in the artifact store;
 * the source directory is never read again. A spec with a source and no bundle cannot be deployed.
 */
async function acceptedBundleStage(run: DeploymentRun, spec: StackSpec, bundle: AcceptedBundle | null): Promise<StackSpec | FailureResult> {
  if (!bundle) {
    if (!spec.build.source) return spec;
    return failure("package", `the deployment of ${spec.stack} was accepted without its bundle`, "Submit the deployment again.");
  }
  run.progress(`unpacking the accepted bundle ${bundle.digest.slice(0, 19)}`);
  const workspace = await run.workspace();
  const dir = await bundle.materialize(workspace.bundlesDir).catch((error: Error) =>
    failure("package", run.masker.mask(error.message), "Submit the deployment again, so its source is packaged afresh."),
  );
  if (isFailure(dir)) return dir;
  const relative = path.relative(workspace.dir, dir).split(path.sep).join("/");
  const pinned = { ...spec, artifact: { digest: bundle.digest, path: relative } };
  run.about(pinned);
  return pinned;
}

/**
 * The options the engine stages pass to each stack operation; the run audits itself, so the operation does not. An
 * update's note records the fingerprint of the secrets it resolved (`secrets`), which a later deployment compares.
 */
async function operationOptions(run: DeploymentRun, spec: StackSpec, secrets?: CheckedSecrets): Promise<OperationOptions> {
  const workspace = await run.workspace();
  const fingerprint = secrets ? await secretsFingerprint(workspace, spec.stack, secrets.values) : null;
  return {
    workspace,
    onEvent: run.options.onEvent,
    onProgress: run.progress,
    signal: run.options.signal,
    masker: run.masker,
    lockWaitMs: run.options.lockWaitMs,
    message: noteMessage(run.message ?? updateMessage(spec, run.action), {
      operation: run.action,
      by: run.principal,
      deployer: spec.deployer_id ?? spec.user_id,
      id: run.id,
      secrets: fingerprint,
      ...run.note,
    }),
    actor: run.principal,
    audit: false,
    refresh: run.options.refresh === true,
  };
}

/** Stage `deploy` for `preview_only`: the changes an update would make. */
export async function previewStage(
  run: DeploymentRun,
  spec: StackSpec,
  secrets: CheckedSecrets,
  warnings: readonly string[],
  keepStackFile = false,
): Promise<PreviewOnlyResult> {
  run.progress(`previewing ${spec.stack}`);
  const preview = await previewStack(spec, secrets.values, { ...(await operationOptions(run, spec)), keepStackFile });
  return {
    status: "previewed",
    deployed_to: spec.target,
    stack: spec.stack,
    has_changes: preview.hasChanges,
    changes: preview.changeSummary,
    steps: preview.steps,
    env_configured: true,
    next_steps: spec.next_steps,
    warnings,
    duration_ms: run.elapsed(),
    log_file: preview.logFile,
  };
}

/** Stage `deploy`: the update. */
export async function upStage(run: DeploymentRun, spec: StackSpec, secrets: CheckedSecrets, trafficStep?: TrafficStep): Promise<UpResult> {
  run.progress(`deploying ${spec.stack} to ${spec.target}${trafficStep ? ` (canary at ${trafficStep.canaryPercent}%)` : ""}`);
  return upStack(spec, secrets.values, { ...(await operationOptions(run, spec, secrets)), trafficStep });
}

/**
 * Stage `verify`: the URL the app itself serves answers its health check (a target may report just its dashboard),
 * and the answer proves it comes from the release this update recorded, as far as the target can tell: on the local
 * target, a server that merely holds the port fails the check.
 */
export async function verifyStage(run: DeploymentRun, spec: StackSpec, up: UpResult): Promise<true | FailureResult> {
  const url = typeof up.outputs.url === "string" ? up.outputs.url : "";
  const appUrl = (up.outputs.urls as Record<string, string> | undefined)?.app;
  if (!url || !appUrl) return true;
  const target = healthUrl(url, spec.build.health_check_path);
  run.progress(`verifying ${target}`);
  const release = typeof up.outputs.release === "string" ? up.outputs.release : null;
  const identity = identityFor(spec, (await run.workspace()).dir, release, target, up.outputs);
  const health = await waitForHealthy(target, { timeoutMs: run.options.healthTimeoutMs, signal: run.options.signal, identity });
  if (health.healthy) return true;
  // Recorded so that a rollback never picks this update as a healthy version.
  run.auditDetails = { ...run.auditDetails, update_version: up.version };
  const error = new HealthCheckError(`health check failed: ${target} did not answer 2xx/3xx as ${spec.stack}'s release (${health.lastError})`, target);
  error.logFile = up.logFile;
  return error.toFailure();
}

/** The success result of a verified update. */
export function successResult(run: DeploymentRun, spec: StackSpec, up: UpResult, secrets: CheckedSecrets, warnings: readonly string[]): DeploySuccess {
  const url = typeof up.outputs.url === "string" ? up.outputs.url : "";
  return {
    status: "success",
    deployed_to: spec.target,
    dashboard_url: typeof up.outputs.dashboardUrl === "string" ? up.outputs.dashboardUrl : url,
    env_configured: true,
    next_steps: spec.next_steps,
    stack: spec.stack,
    url,
    // The stack's address moved (its port was taken while its server was down): links to the old one are stale.
    ...(up.previousUrl && url && up.previousUrl !== url ? { url_changed_from: up.previousUrl } : {}),
    urls: (up.outputs.urls as Record<string, string> | undefined) ?? (url ? { app: url } : {}),
    version: up.version,
    version_name: spec.version_name,
    artifact_digest: spec.artifact?.digest ?? null,
    changes: up.changeSummary,
    ...(up.drift ? { drift: up.drift } : {}),
    secrets: secrets.provenance,
    warnings: [...warnings, ...up.repairs],
    duration_ms: run.elapsed(),
    log_file: up.logFile,
  };
}
