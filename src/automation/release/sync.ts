import { readdir } from "node:fs/promises";
import { isFailure, type FailureResult } from "../../outcome";
import { ENVIRONMENT_TIERS, type StackSpec } from "../../planner/spec";
import { updateAndVerify } from "./update-verify";
import type { DeployOptions, DeploySuccess } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { checkStage, successResult } from "./deploy-stages";
import { stackHistory, releaseDrift } from "../engine/index";
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
 * The GitOps reconciler: for every stack file whose desired spec differs from the spec its stack last deployed
 * successfully, runs the update (checks, `up`, verify, automatic rollback as configured), lower environments of a
 * project before higher ones (staging before production). A stack whose file matches what it runs costs no engine
 * run: the last successful spec is read from the file backend's history files, and, where the target's URL proves
 * which release answers (local), one request confirms that release serves; one that does not is updated, which
 * starts it again. What a CI job runs after a merge.
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
    const deployed = await lastSucceededSpec(workspace, spec.stack);
    const converged = deployed !== null && sameSpec(deployed, spec);
    const drift = converged ? await releaseDrift(workspace, spec) : null;
    if (converged && drift === null) {
      outcomes.push({ stack: spec.stack, status: "unchanged" });
      continue;
    }
    if (options.dryRun) {
      outcomes.push({ stack: spec.stack, status: "would_deploy" });
      continue;
    }
    options.onProgress?.(`syncing ${spec.stack}: ${drift ?? "its stack file differs from what it runs"}`);
    const result = await applyDesired({ ...options, workspace }, spec);
    outcomes.push(isFailure(result) ? { stack: spec.stack, status: "failed", result } : { stack: spec.stack, status: "deployed", result });
  }
  return outcomes;
}

async function applyDesired(options: SyncOptions & { workspace: PlannerWorkspace }, spec: StackSpec): Promise<DeploySuccess | FailureResult> {
  const run = new DeploymentRun(options);
  run.action = "sync";
  run.about(spec);
  run.message = `sync ${spec.stack} to its stack file${spec.version_name ? ` (version ${spec.version_name})` : ""}`;
  try {
    const secrets = await checkStage(run, spec);
    if (isFailure(secrets)) return await run.finish(secrets);
    const up = await updateAndVerify(run, spec, secrets);
    if (isFailure(up)) return await run.finish(up);
    return await run.finish(successResult(run, spec, up, secrets, []));
  } catch (error) {
    return run.fail(error);
  }
}

async function stackFileNames(workspace: PlannerWorkspace): Promise<string[]> {
  return (await readdir(workspace.stacksDir).catch(() => [] as string[]))
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined);
}

/** The spec of a stack's newest successful update; null for a stack never deployed successfully. */
async function lastSucceededSpec(workspace: PlannerWorkspace, stack: string): Promise<StackSpec | null> {
  const history = await stackHistory(stack, { workspace }).catch(() => []);
  return history.find((entry) => entry.kind === "update" && entry.result === "succeeded")?.spec ?? null;
}

/** Whether two specs describe the same deployment (the record of why each choice was made aside). */
function sameSpec(a: StackSpec, b: StackSpec): boolean {
  const comparable = ({ decisions: _decisions, ...rest }: StackSpec) => JSON.stringify(canonical(rest));
  return comparable(a) === comparable(b);
}

/** A value with every object's keys in sorted order, so equal content serializes equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}
