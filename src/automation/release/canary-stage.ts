import type { TargetRuntime } from "../../components/runtimes";
import { failure, type FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { rollBackAfterFailedCheck, type VerifyFailure } from "./auto-rollback";
import { delay, type UpResult } from "../workspace/index";
import type { DeploymentRun } from "./deploy-run";
import { upStage, type CheckedSecrets } from "./deploy-stages";
import { identityFor, stackOutputs } from "../engine/index";

/**
 * Stages `deploy` and `verify` of a stepped canary (Cloud Run): an update per step, the new revision checked through
 * its tag URL between steps. An abort gives the serving revision all traffic back and ends in a failure
 * result with stage `verify`, the canary's figures and `rolled_back_to`.
 */
export async function steppedCanaryStage(
  run: DeploymentRun,
  spec: StackSpec,
  secrets: CheckedSecrets,
  onUpdated: (up: UpResult) => void,
  runSteppedCanary: NonNullable<TargetRuntime["steppedCanary"]>,
): Promise<UpResult | VerifyFailure> {
  if (spec.rollout.strategy !== "canary") throw new Error(`${spec.stack} has no canary rollout`);
  const workspace = await run.workspace();
  // The outputs of the update a probe checks (its new revision, its service), read once per step's URL.
  const stepOutputs = new Map<string, Promise<Record<string, unknown>>>();
  const outcome = await runSteppedCanary<UpResult>(spec.rollout, {
    currentRevision: async () => {
      const outputs = await stackOutputs(spec.stack, { workspace }).catch(() => ({}) as Record<string, unknown>);
      return typeof outputs.revision === "string" ? outputs.revision : null;
    },
    update: (step) => upStage(run, spec, secrets, step),
    // An answer counts as a success only when it also proves it came from the stack (as far as the target can tell).
    probe: async (url) => {
      if (!stepOutputs.has(url)) stepOutputs.set(url, stackOutputs(spec.stack, { workspace }).catch(() => ({})));
      const identity = await identityFor(spec, workspace.dir, null, url, await stepOutputs.get(url)!)();
      return fetch(url, { headers: identity.headers, redirect: "manual", signal: AbortSignal.timeout(5_000) }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status >= 200 && response.status < 400 && identity.check(response).kind === "proven";
        },
        () => false,
      );
    },
    sleep: (ms) => delay(ms, run.options.signal),
    onProgress: run.progress,
  });
  onUpdated(outcome.up);
  if (outcome.status === "completed") return outcome.up;
  const aborted: FailureResult = failure(
    "verify",
    `health check failed: canary aborted: ${outcome.abort.reason}; ${outcome.stableRevision} serves all traffic again`,
    "Look at the new revision's logs for the failing requests, fix the app and deploy again; the previous revision kept serving.",
    { canary: outcome.abort },
  );
  return rollBackAfterFailedCheck(run, spec, aborted, null, { always: true });
}
