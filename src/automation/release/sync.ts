import { readdir } from "node:fs/promises";
import { isFailure, type FailureResult } from "../../outcome";
import { ENVIRONMENT_TIERS, type StackSpec } from "../../planner/spec";
import { updateAndVerify } from "./update-verify";
import type { DeployOptions, DeploySuccess } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { checkStage, successResult } from "./deploy-stages";
import { convergence } from "./convergence";
import { secretsFingerprint } from "./secrets-fingerprint";
import { readStackSpec, type PlannerWorkspace } from "../workspace/index";
import { openWorkspace } from "../backend/index";

/** Options of `sync`. */
export interface SyncOptions extends Omit<DeployOptions, "idempotencyKey" | "idempotencyWindowMs"> {
  /** Only this stack (`<project_id>.<env>`); default every stack file. */
  readonly stack?: string;
  /** Say which stacks would be deployed; change nothing. */
  readonly dryRun?: boolean;
  readonly actor?: string | null;
}

/** What `sync` did for one stack. */
export type SyncOutcome =
  | { readonly stack: string; readonly status: "unchanged" }
  | { readonly stack: string; readonly status: "would_deploy" }
  | { readonly stack: string; readonly status: "deployed"; readonly result: DeploySuccess }
  | { readonly stack: string; readonly status: "failed"; readonly result: FailureResult };

/**
 * The GitOps reconciler: for every stack file whose desired spec is not what its stack serves, runs the update
 * (checks, `up`, verify, automatic rollback as configured), lower environments of a project before higher ones
 * (staging before production). Whether a stack serves its file is decided as a deployment decides it (see
 * `convergence`): the same spec, bundle and secrets as its latest successful update, read from the backend's records,
 * and one request proving that update's release answers; such a stack costs no engine run. One that does not serve
 * as recorded is updated, which starts it again. What a CI job runs after a merge.
 */
export async function sync(options: SyncOptions = {}): Promise<SyncOutcome[]> {
  const workspace = options.workspace ?? (await openWorkspace(options));
  const stacks = options.stack ? [options.stack] : await stackFileNames(workspace);
  const desired: StackSpec[] = [];
  for (const stack of stacks) {
    const spec = await readStackSpec(workspace.stacksDir, stack);
    if (spec) desired.push(spec);
  }
  desired.sort((a, b) => a.project_id.localeCompare(b.project_id) || ENVIRONMENT_TIERS.indexOf(a.tier) - ENVIRONMENT_TIERS.indexOf(b.tier) || a.stack.localeCompare(b.stack));
  const outcomes: SyncOutcome[] = [];
  for (const spec of desired) {
    const run = syncRun({ ...options, workspace }, spec);
    const result = await reconcile(run, spec, options.dryRun === true).catch((error: unknown) => run.fail(error));
    outcomes.push(result === "unchanged" || result === "would_deploy" ? { stack: spec.stack, status: result } : isFailure(result) ? { stack: spec.stack, status: "failed", result } : { stack: spec.stack, status: "deployed", result });
  }
  return outcomes;
}

/** The run that applies one stack file, audited as a sync when it deploys. */
function syncRun(options: SyncOptions & { workspace: PlannerWorkspace }, spec: StackSpec): DeploymentRun {
  const run = new DeploymentRun(options);
  run.action = "sync";
  run.about(spec);
  run.message = `sync ${spec.stack} to its stack file${spec.version_name ? ` (version ${spec.version_name})` : ""}`;
  return run;
}

/** One stack file: unchanged when its stack serves it, else (unless a dry run) the update that applies it. */
async function reconcile(run: DeploymentRun, spec: StackSpec, dryRun: boolean): Promise<"unchanged" | "would_deploy" | DeploySuccess | FailureResult> {
  const workspace = await run.workspace();
  const secrets = await checkStage(run, spec);
  const found = isFailure(secrets) ? null : await convergence(workspace, spec, await secretsFingerprint(workspace, spec.stack, secrets.values));
  // Unchanged stacks are not audited: a sync over every stack file would bury the trail's real operations.
  if (found?.converged) return "unchanged";
  if (dryRun) return "would_deploy";
  run.progress(`syncing ${spec.stack}: ${found?.reason ?? "its checks failed"}`);
  if (isFailure(secrets)) return run.finish(secrets);
  const up = await updateAndVerify(run, spec, secrets);
  if (isFailure(up)) return run.finish(up);
  return run.finish(successResult(run, spec, up, secrets, []));
}

async function stackFileNames(workspace: PlannerWorkspace): Promise<string[]> {
  return (await readdir(workspace.stacksDir).catch(() => [] as string[]))
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);
}
