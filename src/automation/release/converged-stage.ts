import type { StackSpec } from "../../planner/spec";
import { convergence } from "./convergence";
import type { CheckedSecrets } from "./deploy-stages";
import type { DeploymentRun } from "./deploy-run";
import type { DeploySuccess } from "./deploy-types";
import { secretsFingerprint } from "./secrets-fingerprint";

/**
 * Stage `deploy` for a deployment the stack already serves: when its spec, bundle and secrets equal the stack's latest
 * successful update and that update's release proves it answers now (see `convergence`), the success result of that
 * update, with no changes and no engine run; the run's audit record says so, which the stack's history shows as a
 * note on that update. Null when the engine must run: the caller asked for a refresh, or anything is uncertain.
 */
export async function convergedStage(run: DeploymentRun, spec: StackSpec, secrets: CheckedSecrets, warnings: readonly string[]): Promise<DeploySuccess | null> {
  if (run.options.refresh === true) {
    run.progress("refresh requested: running the engine whatever the stack serves");
    return null;
  }
  const workspace = await run.workspace();
  const found = await convergence(workspace, spec, await secretsFingerprint(workspace, spec.stack, secrets.values));
  if (!found.converged) {
    run.progress(`running the engine: ${found.reason}`);
    return null;
  }
  const serving = found.update.update;
  run.progress(`unchanged: update ${serving} already serves this deployment (${found.detail}); no engine run`);
  run.auditDetails = { ...run.auditDetails, converged: true };
  const outputs = found.outputs;
  const url = typeof outputs.url === "string" ? outputs.url : "";
  const urls = outputs.urls !== null && typeof outputs.urls === "object" ? (outputs.urls as Record<string, string>) : url ? { app: url } : {};
  return {
    status: "success",
    deployed_to: spec.target,
    dashboard_url: typeof outputs.dashboardUrl === "string" ? outputs.dashboardUrl : url,
    env_configured: true,
    next_steps: spec.next_steps,
    stack: spec.stack,
    url,
    urls,
    version: serving,
    version_name: spec.version_name,
    artifact_digest: spec.artifact?.digest ?? null,
    changes: {},
    converged: true,
    secrets: secrets.provenance,
    warnings,
    duration_ms: run.elapsed(),
    log_file: "",
  };
}
