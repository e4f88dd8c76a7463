import { stat } from "node:fs/promises";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { failure, isFailure, type FailureResult } from "../outcome";
import { plan, type RedeployIntent } from "../planner/index";
import type { StackSpec } from "../planner/spec";
import { packageSource } from "../packager/index";
import { SecretMasker } from "../secrets/index";
import type { SecretProvenance } from "../secrets/types";
import { appendAudit } from "./audit";
import { preDeploymentChecks } from "./checks";
import { AutomationError, HealthCheckError } from "./errors";
import { previewStack, stackHistory, upStack, type ChangeSummary, type StackOutputs } from "./operations";
import { withIdempotency } from "./idempotency";
import { healthUrl, waitForHealthy } from "./verify";
import { openWorkspace, type PlannerWorkspace, type WorkspaceOptions } from "./workspace";

/** Options of `planAndDeploy`. */
export interface DeployOptions extends WorkspaceOptions {
  /** Directory a relative `source` in the request is resolved against; default the current directory. */
  readonly baseDir?: string;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Progress lines for a person (stages and resource-level engine events), secrets masked. */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** How long the deployed URL may take to pass its health check; default 30 s. */
  readonly healthTimeoutMs?: number;
  /** How long to wait for another update's lock on the stack; default 60 s. */
  readonly lockWaitMs?: number;
  /** A workspace opened earlier (skips opening one). */
  readonly workspace?: PlannerWorkspace;
  /**
   * The caller's key for this deployment: a repeated call with the same key and request within
   * `idempotencyWindowMs` returns the first call's result without running the engine again (a retried HTTP call,
   * a webhook delivered twice). The same key with a different request fails at stage `validation`.
   */
  readonly idempotencyKey?: string;
  /** How long a key's result is kept; default 24 hours. */
  readonly idempotencyWindowMs?: number;
}

/** The brief's success object, plus what a caller needs to follow up. */
export interface DeploySuccess {
  readonly status: "success";
  readonly deployed_to: StackSpec["target"];
  readonly dashboard_url: string;
  readonly env_configured: boolean;
  readonly next_steps: readonly string[];
  readonly stack: string;
  readonly url: string;
  readonly urls: Readonly<Record<string, string>>;
  /** Number of the update in the stack's history; roll back to it by this number. */
  readonly version: number;
  readonly version_name: string | null;
  readonly artifact_digest: string | null;
  readonly changes: ChangeSummary;
  /** Where each secret came from; never a value. */
  readonly secrets: readonly SecretProvenance[];
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  readonly log_file: string;
}

/** What `deployment_type: preview_only` returns: the changes an `up` would make. */
export interface PreviewOnlyResult {
  readonly status: "previewed";
  readonly deployed_to: StackSpec["target"];
  readonly stack: string;
  readonly has_changes: boolean;
  readonly changes: ChangeSummary;
  readonly steps: readonly { op: string; type: string; name: string }[];
  readonly env_configured: boolean;
  readonly next_steps: readonly string[];
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  readonly log_file: string;
}

/** Result of `planAndDeploy`: never thrown, always one of these. */
export type DeployResult = DeploySuccess | PreviewOnlyResult | FailureResult;

/**
 * Plans a deployment request and deploys it: plan → pre-deployment checks (credentials, secrets) → package → `up`
 * → health check → the brief's success object. Any operational failure comes back as the brief's error object with
 * the stage where it happened; nothing is thrown.
 */
export async function planAndDeploy(request: unknown, options: DeployOptions = {}): Promise<DeployResult> {
  if (options.idempotencyKey === undefined) return runDeployment(request, options);
  const dataDir = options.workspace?.dataDir ?? path.join(path.resolve(options.workspaceDir ?? process.cwd()), ".deployment-planner");
  return withIdempotency(
    request,
    {
      key: options.idempotencyKey,
      dataDir,
      windowMs: options.idempotencyWindowMs,
      // An internal error is a bug or a crash, not an answer: a retry with the same key runs again.
      keep: (result) => !(isFailure(result as DeployResult) && (result as FailureResult).stage === "internal"),
    },
    () => runDeployment(request, options),
  );
}

async function runDeployment(request: unknown, options: DeployOptions): Promise<DeployResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const masker = new SecretMasker();
  let workspace: PlannerWorkspace | undefined = options.workspace;
  // Where failed checks are audited when no workspace was opened yet (no engine process has run).
  let auditDir: string | undefined;
  let stackForAudit: string | undefined;
  let specForAudit: StackSpec | undefined;
  let action: "deploy" | "preview" | "redeploy" = "deploy";

  const finish = async <T extends DeployResult>(result: T): Promise<T> => {
    const dataDir = workspace?.dataDir ?? auditDir;
    if (dataDir && stackForAudit) {
      await appendAudit(
        dataDir,
        {
          action,
          stack: stackForAudit,
          status: isFailure(result) ? "error" : "success",
          actor: specForAudit?.deployer_id ?? specForAudit?.user_id ?? null,
          version_name: specForAudit?.version_name ?? null,
          artifact_digest: specForAudit?.artifact?.digest ?? null,
          target: specForAudit?.target,
          ...(isFailure(result) ? { stage: result.stage, reason: result.reason } : {}),
          ...(result.status === "success" ? { update_version: result.version } : {}),
          duration_ms: Date.now() - started,
        },
        masker,
      ).catch(() => undefined);
    }
    return result;
  };

  try {
    progress("planning");
    const planned = plan(request, { baseDir: options.baseDir ?? process.cwd() });
    if (isFailure(planned)) return planned;

    let spec: StackSpec;
    let warnings: readonly string[] = [];
    if (planned.status === "redeploy") {
      action = "redeploy";
      stackForAudit = `${planned.intent.project_id}.${planned.intent.environment}`;
      // A redeploy reads the stack's history, so the workspace (and the engine) is needed before the checks.
      workspace ??= await openWorkspace({ ...options, onProgress: progress });
      const resolved = await specForRedeploy(workspace, planned.intent);
      if (isFailure(resolved)) return await finish(resolved);
      spec = resolved;
    } else {
      spec = planned.spec;
      warnings = planned.warnings;
    }
    stackForAudit = spec.stack;
    specForAudit = spec;
    if (spec.deployment_type === "preview_only") action = "preview";

    // Checks come before any engine process: a missing secret or credential fails here, in well under a second.
    progress(`pre-deployment checks for ${spec.stack} on ${spec.target}`);
    const checked = await preDeploymentChecks(spec, { env: options.env ?? process.env, baseDir: options.baseDir, signal: options.signal });
    if (isFailure(checked)) {
      auditDir = path.join(path.resolve(options.workspaceDir ?? process.cwd()), ".deployment-planner");
      return await finish(checked);
    }
    for (const secret of checked.secrets) masker.add(secret.value);
    const resolvedSecrets = Object.fromEntries(checked.secrets.map((s) => [s.name, s.value]));
    const provenance = checked.provenance;
    workspace ??= await openWorkspace({ ...options, onProgress: progress });

    if (planned.status !== "redeploy" && spec.build.source) {
      progress(`packaging ${spec.build.source}`);
      const bundle = await packageSource(spec.build.source, { bundlesDir: path.join(workspace.dataDir, "bundles") }).catch(
        (error: Error) => failure("package", masker.mask(error.message), "Check that the source directory exists, is readable and holds the app."),
      );
      if (isFailure(bundle)) return await finish(bundle);
      // Recorded relative to the workspace, so the stack file and the state hold no machine path.
      const relative = path.relative(workspace.dir, bundle.path).split(path.sep).join("/");
      spec = { ...spec, artifact: { digest: bundle.digest, path: relative } };
      specForAudit = spec;
    }
    if (spec.target === "local" && !spec.artifact) {
      return await finish(
        failure("package", `the local target needs the app's source, and the request for ${spec.stack} names none`, "Add 'source' (the app's directory) to the request."),
      );
    }

    const operation = {
      workspace,
      onEvent: options.onEvent,
      onProgress: progress,
      signal: options.signal,
      masker,
      lockWaitMs: options.lockWaitMs,
      message: updateMessage(spec, action),
    };

    if (spec.deployment_type === "preview_only") {
      progress(`previewing ${spec.stack}`);
      const preview = await previewStack(spec, resolvedSecrets, operation);
      return await finish({
        status: "previewed",
        deployed_to: spec.target,
        stack: spec.stack,
        has_changes: preview.hasChanges,
        changes: preview.changeSummary,
        steps: preview.steps,
        env_configured: true,
        next_steps: spec.next_steps,
        warnings,
        duration_ms: Date.now() - started,
        log_file: preview.logFile,
      });
    }

    progress(`deploying ${spec.stack} to ${spec.target}`);
    const up = await upStack(spec, resolvedSecrets, operation);
    const outputs: StackOutputs = up.outputs;
    const url = typeof outputs.url === "string" ? outputs.url : "";
    // Only a URL the app itself serves is health-checked (a target may report just its dashboard).
    const appUrl = (outputs.urls as Record<string, string> | undefined)?.app;
    if (url && appUrl) {
      const target = healthUrl(url, spec.build.health_check_path);
      progress(`verifying ${target}`);
      const health = await waitForHealthy(target, { timeoutMs: options.healthTimeoutMs, signal: options.signal });
      if (!health.healthy) {
        const error = new HealthCheckError(`health check failed: ${target} did not answer 2xx/3xx (${health.lastError})`, target);
        error.logFile = up.logFile;
        return await finish(error.toFailure());
      }
    }
    return await finish({
      status: "success",
      deployed_to: spec.target,
      dashboard_url: typeof outputs.dashboardUrl === "string" ? outputs.dashboardUrl : url,
      env_configured: true,
      next_steps: spec.next_steps,
      stack: spec.stack,
      url,
      urls: (outputs.urls as Record<string, string> | undefined) ?? (url ? { app: url } : {}),
      version: up.version,
      version_name: spec.version_name,
      artifact_digest: spec.artifact?.digest ?? null,
      changes: up.changeSummary,
      secrets: provenance,
      warnings: [...warnings, ...up.repairs],
      duration_ms: Date.now() - started,
      log_file: up.logFile,
    });
  } catch (error) {
    if (error instanceof AutomationError) return await finish(error.toFailure());
    const message = masker.mask(error instanceof Error ? error.message : String(error));
    return await finish(
      failure("internal", `unexpected error: ${message.split("\n")[0]?.slice(0, 500)}`, "This is a bug in deployment-planner; the log file has details. Please report it."),
    );
  }
}

/** Update message recorded in the stack history: what, which version, by whom, which bundle. */
export function updateMessage(spec: StackSpec, action: string): string {
  const parts = [`${action} ${spec.stack}`];
  if (spec.version_name) parts.push(`version ${spec.version_name}`);
  if (spec.deployer_id) parts.push(`by ${spec.deployer_id}`);
  if (spec.artifact) parts.push(`bundle ${spec.artifact.digest.slice(0, 19)}`);
  return parts.join(" ");
}

/**
 * Resolves a redeploy request against the stack's history: the spec of the latest successful update, with the
 * requested version name and deployer.
 */
async function specForRedeploy(workspace: PlannerWorkspace, intent: RedeployIntent): Promise<StackSpec | FailureResult> {
  const bundleDir = (artifactPath: string) => path.resolve(workspace.dir, artifactPath);
  const stack = `${intent.project_id}.${intent.environment}`;
  let history;
  try {
    history = await stackHistory(stack, { workspace });
  } catch (error) {
    if (error instanceof AutomationError && error.code === "STACK_NOT_FOUND") {
      return failure(
        "plan",
        `cannot redeploy ${stack}: the stack has never been deployed`,
        `Deploy ${intent.project_id} to ${intent.environment} once with a full deployment request.`,
      );
    }
    throw error;
  }
  const latest = history.find((entry) => entry.kind === "update" && entry.result === "succeeded" && entry.spec);
  if (!latest?.spec) {
    return failure("plan", `cannot redeploy ${stack}: no successful update in its history`, `Deploy ${intent.project_id} with a full deployment request first.`);
  }
  if (latest.spec.artifact) {
    const exists = await stat(bundleDir(latest.spec.artifact.path)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      return failure(
        "package",
        `the bundle ${latest.spec.artifact.digest} of update ${latest.version} is no longer in ${path.dirname(bundleDir(latest.spec.artifact.path))}`,
        "Redeploy from source with a full deployment request.",
      );
    }
  }
  return {
    ...latest.spec,
    version_name: intent.version_name ?? latest.spec.version_name,
    deployer_id: intent.deployer_id ?? latest.spec.deployer_id,
    decisions: [
      ...latest.spec.decisions.filter((d) => d.topic !== "redeploy"),
      { topic: "redeploy", choice: `update ${latest.version}`, reason: `redeploy request: reapplies the spec of the latest successful update (${latest.version}) of ${stack}` },
    ],
  };
}
