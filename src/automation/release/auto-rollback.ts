import type { FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { appendAudit } from "../records/index";
import type { DeploymentRun } from "./deploy-run";
import { lastHealthyUpdate, rollback } from "./rollback";
import { writeStackSpec } from "../workspace/index";

/** The failure result of a failed health check (stage `verify`), with the version the stack was rolled back to, if any. */
export type VerifyFailure = FailureResult & { readonly rolled_back_to?: number };

/**
 * After an update failed its health check: when the spec asks for it (staging and production by default), puts the
 * stack back on its previous healthy version. When the failed update took effect (its engine run succeeded), that is a
 * rollback update re-applying the healthy version's spec; when it never did (the local target keeps serving the old
 * release if the new one fails its check), the stack file is set back to the healthy spec so the desired state matches
 * what serves. The result stays the error object with stage `verify`, plus `rolled_back_to`.
 */
export async function rollBackAfterFailedCheck(
  run: DeploymentRun,
  spec: StackSpec,
  failed: FailureResult,
  failedVersion: number | null,
  options: { readonly always?: boolean } = {},
): Promise<VerifyFailure> {
  if (!spec.auto_rollback && options.always !== true) return failed;
  const workspace = await run.workspace();
  const healthy = await lastHealthyUpdate(workspace, spec.stack, failedVersion).catch(() => null);
  if (!healthy?.spec) return { ...failed, reason: `${failed.reason}; no earlier healthy version to roll back to` };
  if (failedVersion === null) {
    run.progress(`the failed update never took traffic; ${spec.stack} stays on update ${healthy.version}`);
    await writeStackSpec(workspace.stacksDir, healthy.spec);
    await appendAudit(workspace.dataDir, {
      action: "rollback",
      stack: spec.stack,
      status: "success",
      actor: run.principal,
      deployer: spec.deployer_id ?? spec.user_id,
      to_version: healthy.version,
      reason: "automatic: the failed update never took traffic; its stack file was set back to the healthy version",
    }).catch(() => undefined);
    return { ...failed, reason: `${failed.reason}; the stack stays on its healthy update ${healthy.version}`, rolled_back_to: healthy.version };
  }
  run.progress(`rolling ${spec.stack} back to update ${healthy.version} by itself`);
  const result = await rollback(spec.project_id, spec.environment, {
    ...run.options,
    workspace,
    to: healthy.version,
    actor: run.principal,
  });
  if (result.status === "error") return { ...failed, reason: `${failed.reason}; the automatic rollback failed: ${result.reason}` };
  return { ...failed, reason: `${failed.reason}; rolled back to update ${healthy.version}`, rolled_back_to: result.rolled_back_to };
}
