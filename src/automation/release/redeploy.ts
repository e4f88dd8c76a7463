import { stat } from "node:fs/promises";
import path from "node:path";
import { failure, type FailureResult } from "../../outcome";
import type { RedeployIntent } from "../../planner/index";
import type { StackSpec } from "../../planner/spec";
import { AutomationError, type PlannerWorkspace } from "../workspace/index";
import { stackHistory } from "../engine/index";

/**
 * Resolves a redeploy request against the stack's history: the spec of the latest successful update, with the
 * requested version name and deployer. Fails at `plan` when there is nothing to redeploy, at `package` when the
 * update's bundle is gone.
 */
export async function specForRedeploy(workspace: PlannerWorkspace, intent: RedeployIntent): Promise<StackSpec | FailureResult> {
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
    const bundle = path.resolve(workspace.dir, latest.spec.artifact.path);
    const exists = await stat(bundle).then(
      () => true,
      () => false,
    );
    if (!exists) {
      return failure(
        "package",
        `the bundle ${latest.spec.artifact.digest} of update ${latest.version} is no longer in ${path.dirname(bundle)}`,
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
