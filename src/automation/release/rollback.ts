import path from "node:path";
import { rolloutInProgress, TARGET_RUNTIMES } from "../../components/runtimes";
import { failure, isFailure, type FailureResult } from "../../outcome";
import { bundleMatches } from "../../packager/index";
import { identifierSchema, stackNameFor, type StackSpec } from "../../planner/spec";
import { readAudit } from "../records/index";
import type { DeployOptions, DeploySuccess } from "./deploy-types";
import { DeploymentRun } from "./deploy-run";
import { checkStage, successResult, upStage, verifyStage, type CheckedSecrets } from "./deploy-stages";
import { AutomationError, delay, readStackSpec, type PlannerWorkspace } from "../workspace/index";
import { stackHistory, type HistoryEntry, DEFAULT_LOCK_WAIT_MS } from "../engine/index";

/** Options of `rollback`. */
export interface RollbackOptions extends Omit<DeployOptions, "idempotencyKey" | "idempotencyWindowMs"> {
  /** The update number or version name to roll back to; default the latest healthy update before the current one. */
  readonly to?: number | string;
  /** Who asks for the rollback, for the stack's history and the audit trail; default the operating-system user. */
  readonly actor?: string | null;
}

/** The success result of a rollback, with the versions it went from and to. */
export interface RollbackSuccess extends DeploySuccess {
  /** The update that was current before the rollback. */
  readonly rolled_back_from: number;
  /** The update whose recorded spec the rollback re-applied. */
  readonly rolled_back_to: number;
}

/**
 * Rolls a stack back to an earlier update: re-applies that update's recorded spec (its bundle by digest) as a new
 * update whose history entry says "rollback from N to M", then checks the URL. Every pre-check runs before any engine
 * process: the target version exists, succeeded and passed its health check; its bundle is still in the artifact
 * store with a matching digest; its secrets resolve; the target's credentials are present. What fails comes back as a
 * failure result with stage `rollback` (or `deploy`/`verify` for the update itself); nothing is thrown.
 */
export async function rollback(projectId: string, environment: string, options: RollbackOptions = {}): Promise<RollbackSuccess | FailureResult> {
  for (const [field, value] of [["project_id", projectId], ["env", environment]] as const) {
    if (!identifierSchema.safeParse(value).success) {
      return failure("validation", `${field}: not a valid identifier: '${String(value).slice(0, 80)}'`, "Use the project_id and environment the stack was deployed with.");
    }
  }
  const run = new DeploymentRun(options);
  run.action = "rollback";
  run.stack = stackNameFor(projectId, environment);
  try {
    // A canary still deciding where traffic goes is what a rollback undoes first: the stable release takes it all.
    const abortedRollout = await abortRollout(run, run.stack);
    const chosen = await chooseVersions(run, run.stack, abortedRollout ? (options.to ?? "current") : options.to);
    if (isFailure(chosen)) return await run.finish(chosen);
    const { from, to } = chosen;
    const spec: StackSpec = {
      ...to.spec!,
      decisions: [
        ...to.spec!.decisions.filter((d) => d.topic !== "redeploy" && d.topic !== "rollback"),
        { topic: "rollback", choice: `update ${to.version}`, reason: `rollback from ${from.version} to ${to.version}: re-applies the spec update ${to.version} deployed` },
      ],
    };
    run.about(spec);
    run.auditDetails = { from_version: from.version, to_version: to.version };
    run.note = { from: from.version, to: to.version };
    run.message = `rollback ${run.stack} from ${from.version} to ${to.version}${to.versionName ? ` (version ${to.versionName})` : ""}`;

    const artifact = await checkArtifact(run, spec, to);
    if (isFailure(artifact)) return await run.finish(artifact);
    const secrets = await checkStage(run, spec);
    if (isFailure(secrets)) return await run.finish(failure("rollback", secrets.reason, secrets.fix_suggestion, { problems: secrets.problems }));

    const up = await updateServingWarmReleaseFirst(run, spec, secrets);
    const verified = await verifyStage(run, spec, up);
    if (isFailure(verified)) return await run.finish(verified);
    return await run.finish({ ...successResult(run, spec, up, secrets, []), rolled_back_from: from.version, rolled_back_to: to.version });
  } catch (error) {
    return run.fail(error);
  }
}

/** The current update and the one to roll back to, or the reason there is none. */
async function chooseVersions(
  run: DeploymentRun,
  stack: string,
  to: number | string | "current" | undefined,
): Promise<{ from: HistoryEntry; to: HistoryEntry } | FailureResult> {
  const workspace = await run.workspace();
  let history: HistoryEntry[];
  try {
    history = await stackHistory(stack, { workspace });
  } catch (error) {
    if (error instanceof AutomationError && error.code === "STACK_NOT_FOUND") {
      return failure("rollback", `cannot roll back ${stack}: the stack has never been deployed`, "Deploy it first; a rollback needs an earlier successful update.");
    }
    throw error;
  }
  const unhealthy = await unhealthyVersions(workspace.dataDir, stack);
  const updates = history.filter((entry) => entry.kind === "update");
  const usable = (entry: HistoryEntry) => entry.result === "succeeded" && entry.spec !== null && !unhealthy.has(entry.version);
  const current = updates.find((entry) => entry.result === "succeeded");
  if (!current) return failure("rollback", `cannot roll back ${stack}: it has no successful update`, "Deploy it with a full deployment request first.");
  const known = updates.map((entry) => `${entry.version}${entry.versionName ? ` (${entry.versionName})` : ""}`).join(", ");

  let target: HistoryEntry | undefined;
  if (to === "current") {
    // After an aborted rollout: from the update that was rolling out (now failed) back to the stable one.
    const aborted = updates[0];
    if (aborted && aborted.version > current.version) return { from: aborted, to: current };
    return failure("rollback", `cannot roll back ${stack}: the aborted rollout left no update to roll back from`, "Run 'deployment-planner status' to see what serves.");
  }
  if (to === undefined) {
    target = updates.find((entry) => entry.version < current.version && usable(entry));
    if (!target) return failure("rollback", `cannot roll back ${stack}: no healthy successful update before the current one (${current.version})`, "Deploy the version you want with a full deployment request.");
  } else {
    target = typeof to === "number" ? updates.find((entry) => entry.version === to) : updates.find((entry) => entry.versionName === to && usable(entry)) ?? updates.find((entry) => entry.versionName === to);
    if (!target) return failure("rollback", `cannot roll back ${stack} to ${to}: no such update (updates: ${known || "none"})`, "Pick an update number or version name from 'deployment-planner history'.");
    if (target.result !== "succeeded" || target.spec === null) {
      return failure("rollback", `cannot roll back ${stack} to ${to}: update ${target.version} did not succeed (${target.result})`, "Pick a successful update from 'deployment-planner history'.");
    }
    if (unhealthy.has(target.version)) {
      return failure("rollback", `cannot roll back ${stack} to ${to}: update ${target.version} failed its health check`, "Pick an update that passed its health check.");
    }
  }
  if (target.version === current.version) {
    return failure("rollback", `cannot roll back ${stack} to ${to ?? target.version}: update ${target.version} is the current version`, "Pick an earlier update from 'deployment-planner history'.");
  }
  return { from: current, to: target };
}

/**
 * The newest update of a stack that succeeded, passed its health check and is not `excluding` (the update that just
 * failed), with its spec; null when there is none (a first deploy that failed).
 */
export async function lastHealthyUpdate(workspace: PlannerWorkspace, stack: string, excluding: number | null): Promise<HistoryEntry | null> {
  const unhealthy = await unhealthyVersions(workspace.dataDir, stack);
  const history = await stackHistory(stack, { workspace });
  return history.find((e) => e.kind === "update" && e.result === "succeeded" && e.spec !== null && e.version !== excluding && !unhealthy.has(e.version)) ?? null;
}

/** Update numbers of a stack whose deployment failed its health check, from the audit trail. */
export async function unhealthyVersions(dataDir: string, stack: string): Promise<Set<number>> {
  const entries = await readAudit(dataDir).catch(() => []);
  return new Set(entries.filter((e) => e.stack === stack && e.stage === "verify" && typeof e.update_version === "number").map((e) => e.update_version!));
}

/** The target version's bundle is still in the artifact store, unchanged. */
async function checkArtifact(run: DeploymentRun, spec: StackSpec, target: HistoryEntry): Promise<true | FailureResult> {
  if (!spec.artifact) return true;
  const workspace = await run.workspace();
  const bundle = path.resolve(workspace.dir, spec.artifact.path);
  if (await bundleMatches(bundle, spec.artifact.digest)) return true;
  return failure(
    "rollback",
    `the bundle ${spec.artifact.digest} of update ${target.version} is no longer in the artifact store (or no longer matches its digest)`,
    "Deploy that version again from source with a full deployment request.",
  );
}

/**
 * The rollback's engine update. Where the target keeps replaced releases warm (the local target), the URL serves the
 * old version before the engine starts when one still runs it (and no other operation holds the stack); the update
 * then records that same process. Should the update fail, the traffic goes back to the release the state still records.
 */
async function updateServingWarmReleaseFirst(run: DeploymentRun, spec: StackSpec, secrets: CheckedSecrets) {
  const workspace = await run.workspace();
  const switchAhead = TARGET_RUNTIMES[spec.target].switchToWarmRelease;
  const warm = !switchAhead || (await workspace.stateBackend.stackLockHeld(spec.stack)) ? null : await switchAhead(workspace.dir, spec, secrets.values);
  if (warm) run.progress(`${spec.stack} serves the earlier version again (a warm release); recording it`);
  try {
    return await upStage(run, spec, secrets);
  } catch (error) {
    if (warm) await warm.switchBack();
    throw error;
  }
}

/**
 * Aborts the stack's canary rollout when its target runs one that is still deciding where traffic goes (running, or
 * held after its deployer died: the local target), and waits (within the lock wait) for the deploy that ran it to
 * end, so its failed update is in the history. True when a rollout was aborted.
 */
async function abortRollout(run: DeploymentRun, stack: string): Promise<boolean> {
  const workspace = await run.workspace();
  const target = (await readStackSpec(workspace.stacksDir, stack).catch(() => null))?.target;
  const runtime = target ? TARGET_RUNTIMES[target] : undefined;
  if (!runtime?.rollout || !runtime.abortRollout) return false;
  const rollout = await runtime.rollout(workspace.dir, stack).catch(() => null);
  if (!rolloutInProgress(rollout)) return false;
  run.progress(`aborting the canary rollout of ${stack} (step ${rollout.step}/${rollout.steps.length}); the stable release takes all traffic`);
  if (!(await runtime.abortRollout(workspace.dir, stack, "aborted by a rollback"))) return false;
  const deadline = Date.now() + (run.options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  while ((await workspace.stateBackend.stackLockHeld(stack)) && Date.now() < deadline) await delay(200, run.options.signal);
  return true;
}
