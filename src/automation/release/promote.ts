import { createTwoFilesPatch } from "diff";
import { failure, isFailure, type FailureResult } from "../../outcome";
import { identifierSchema, planPromotion, specChanges, stackNameFor, type StackSpec } from "../../planner/index";
import { bundleMatches } from "../../packager/index";
import { updateAndVerify } from "./update-verify";
import type { DeployOptions, DeploySuccess } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { checkStage, previewStage, successResult } from "./deploy-stages";
import {
  AutomationError,
  readStackSpec,
  renderStackSpec,
  stackConfigPath,
  type PlannedStep,
  type ChangeSummary,
} from "../workspace/index";
import { stackHistory } from "../engine/index";
import { unhealthyVersions } from "./rollback";
import { commitFileOnBranch, GitError } from "./git-commit";
import path from "node:path";

/** Options of `promote`. */
export interface PromoteOptions extends Omit<DeployOptions, "idempotencyKey" | "idempotencyWindowMs"> {
  /** The environment whose current version is promoted, e.g. `staging`. */
  readonly from: string;
  /** The environment that receives it, e.g. `production`. */
  readonly to: string;
  /** Show the stack-file diff and the engine's preview; change nothing. */
  readonly dryRun?: boolean;
  /**
   * Instead of deploying, commit the target's new stack file on a new branch of the workspace's git repository, ready
   * for a pull request (`sync` deploys it once merged). Never pushes.
   */
  readonly git?: boolean;
  /** Who promotes (the update's deployer and the audit trail's actor). */
  readonly actor?: string | null;
}

/** What the source environment's version was. */
export interface PromotedVersion {
  readonly stack: string;
  readonly version: number;
  readonly version_name: string | null;
  readonly artifact_digest: string | null;
}

/** The success object of a promotion: the target's new update, and what it took from the source. */
export interface PromoteSuccess extends DeploySuccess {
  readonly promoted_from: PromotedVersion;
}

/** What `promote --dry-run` shows: the stack-file diff and the engine's preview of the target. */
export interface PromoteDryRun {
  readonly status: "planned";
  readonly stack: string;
  readonly promoted_from: PromotedVersion;
  /** Unified diff of the target's stack file (empty when it would not change). */
  readonly stack_file_diff: string;
  readonly has_changes: boolean;
  readonly changes: ChangeSummary;
  readonly steps: readonly PlannedStep[];
}

/** What `promote --git` made: the branch and its one commit. */
export interface PromoteCommitted {
  readonly status: "committed";
  readonly stack: string;
  readonly promoted_from: PromotedVersion;
  readonly branch: string;
  readonly commit: string;
  /** The commit message: what changes. */
  readonly message: string;
  readonly stack_file_diff: string;
}

/**
 * Promotes a project's current version from one environment to another: the target gets the source's artifact (by
 * digest), build, services, technologies and plain settings, and keeps what belongs to it (tier, resources, domain,
 * protection, region and placement, secret references, time to live, automatic rollback). Only a version that
 * succeeded and passed its health check in the source environment is promoted. Runs the deploy pipeline's checks,
 * update and verification on the target; `dryRun` returns the stack-file diff and the engine's preview instead.
 */
export async function promote(projectId: string, options: PromoteOptions): Promise<PromoteSuccess | PromoteDryRun | PromoteCommitted | FailureResult> {
  for (const [field, value] of [["project_id", projectId], ["from", options.from], ["to", options.to]] as const) {
    if (!identifierSchema.safeParse(value).success) {
      return failure("validation", `${field}: not a valid identifier: '${String(value).slice(0, 80)}'`, "Use the project_id and environment names the stacks were deployed with.");
    }
  }
  if (options.from === options.to) return failure("validation", `from and to are both '${options.from}'`, "Promote between two different environments, e.g. --from staging --to production.");
  const run = new DeploymentRun(options);
  run.action = "promote";
  run.stack = stackNameFor(projectId, options.to);
  try {
    const workspace = await run.workspace();
    const source = await currentHealthyVersion(run, stackNameFor(projectId, options.from));
    if (isFailure(source)) return await run.finish(source);
    const existing = await readStackSpec(workspace.stacksDir, run.stack);
    const planned = planPromotion(source, existing, { environment: options.to, actor: options.actor ?? null });
    if (isFailure(planned)) return await run.finish(planned);
    const { spec, warnings } = planned;
    const promotedFrom: PromotedVersion = { stack: source.spec.stack, version: source.version, version_name: source.spec.version_name, artifact_digest: source.spec.artifact?.digest ?? null };
    run.about(spec);
    run.auditDetails = { from_version: `${source.spec.stack}@${source.version}`, to_version: null };
    run.note = { source: source.spec.stack, from: source.version };
    run.message = `promote ${source.spec.stack} update ${source.version}${source.spec.version_name ? ` (version ${source.spec.version_name})` : ""} to ${run.stack}`;

    if (spec.artifact && !(await bundleMatches(path.resolve(workspace.dir, spec.artifact.path), spec.artifact.digest))) {
      return await run.finish(failure("plan", `the bundle ${spec.artifact.digest} of ${source.spec.stack} update ${source.version} is no longer in the artifact store`, `Deploy ${options.from} again from source, then promote.`));
    }
    if (options.git && !options.dryRun) return await run.finish(await commitPromotion(workspace.stacksDir, spec, existing, promotedFrom, run.stack));
    const secrets = await checkStage(run, spec);
    if (isFailure(secrets)) return await run.finish(secrets);

    if (options.dryRun) {
      const { before, after } = await renderStackSpec(workspace.stacksDir, spec);
      const diff = before === after ? "" : createTwoFilesPatch(`stacks/Pulumi.${run.stack}.yaml`, `stacks/Pulumi.${run.stack}.yaml`, before, after, "current", "promoted");
      const preview = await previewStage(run, spec, secrets, warnings, true);
      return { status: "planned", stack: run.stack, promoted_from: promotedFrom, stack_file_diff: diff, has_changes: preview.has_changes, changes: preview.changes, steps: preview.steps };
    }

    const up = await updateAndVerify(run, spec, secrets, (updated) => {
      run.auditDetails = { ...run.auditDetails, to_version: updated.version };
    });
    if (isFailure(up)) return await run.finish(up);
    return await run.finish({ ...successResult(run, spec, up, secrets, warnings), promoted_from: promotedFrom });
  } catch (error) {
    return run.fail(error);
  }
}

/** The source stack's current version, when it succeeded and passed its health check. */
async function currentHealthyVersion(run: DeploymentRun, stack: string): Promise<{ spec: StackSpec; version: number } | FailureResult> {
  const workspace = await run.workspace();
  const history = await stackHistory(stack, { workspace }).catch((error: unknown) => {
    if (error instanceof AutomationError && error.code === "STACK_NOT_FOUND") return [];
    throw error;
  });
  const current = history.find((entry) => entry.kind === "update");
  if (!current) return failure("plan", `cannot promote from ${stack}: it has never been deployed`, "Deploy the source environment first.");
  if (current.result !== "succeeded" || !current.spec) {
    return failure("plan", `cannot promote from ${stack}: its current update ${current.version} did not succeed (${current.result})`, "Fix and redeploy the source environment, then promote.");
  }
  if ((await unhealthyVersions(workspace.dataDir, stack)).has(current.version)) {
    return failure("plan", `cannot promote from ${stack}: its current update ${current.version} failed its health check`, "Fix and redeploy the source environment, then promote.");
  }
  return { spec: current.spec, version: current.version };
}

/**
 * The commit message of a promotion: for a new stack file, the version and bundle it starts with; for an existing one,
 * every value that differs between the file's spec and the promoted one.
 */
export function promotionMessage(from: PromotedVersion, stack: string, current: StackSpec | null, promoted: StackSpec): string {
  const title = `Promote ${from.stack} update ${from.version}${from.version_name ? ` (version ${from.version_name})` : ""} to ${stack}`;
  const body = current
    ? specChanges(current, promoted).map((line) => `- ${line}`)
    : [`New stack file for ${stack}:`, `- version_name: ${promoted.version_name ?? "none"}`, `- artifact.digest: ${promoted.artifact?.digest ?? "none"}`];
  return [title, "", ...body, ""].join("\n");
}

/** Writes the promoted stack file as one commit on a new branch; the message says what changes. */
async function commitPromotion(stacksDir: string, spec: StackSpec, current: StackSpec | null, from: PromotedVersion, stack: string): Promise<PromoteCommitted | FailureResult> {
  const { before, after } = await renderStackSpec(stacksDir, spec);
  if (before === after || (current && specChanges(current, spec).length === 0)) {
    return failure("plan", `${stack} already runs ${from.stack} update ${from.version}: nothing to promote`, "Deploy a new version to the source environment first.");
  }
  const message = promotionMessage(from, stack, current, spec);
  const branch = `promote/${stack.replace(/\./g, "-")}-${(spec.artifact?.digest ?? "spec").replace(/^sha256:/, "").slice(0, 12)}`;
  try {
    const committed = await commitFileOnBranch(stackConfigPath(stacksDir, stack), after, branch, message);
    const diff = createTwoFilesPatch(`stacks/Pulumi.${stack}.yaml`, `stacks/Pulumi.${stack}.yaml`, before, after, "current", "promoted");
    return { status: "committed", stack, promoted_from: from, branch: committed.branch, commit: committed.commit, message, stack_file_diff: diff };
  } catch (error) {
    if (error instanceof GitError) return failure("plan", error.message, "Run promote --git inside the git repository that holds the workspace's stacks/ directory, with a branch name not taken.");
    throw error;
  }
}
