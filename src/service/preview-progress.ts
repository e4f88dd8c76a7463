import type { Pool } from "pg";
import type { FailureStage } from "../outcome";
import type { PreviewFeedback, PreviewNotice } from "./previews";
import { setPreviewState, type PreviewRecord, type PreviewState } from "./repositories/previews";
import type { QueuedOperation } from "./stack-operations";

/** A step of a queued operation as a worker sees it: it started, or it finished with its result. */
export type OperationStep = { readonly started: true } | { readonly succeeded: boolean; readonly result: Record<string, unknown> };

/**
 * Moves the preview whose newest deployment is `deploymentId` along as its worker runs it (a deploy: deploying, then
 * live with its URL or failed; a destroy: destroyed or failed) and tells its pull request. Anything else (not a
 * preview's, or one a newer deployment replaced) changes nothing. Never throws: a preview's record or feedback must
 * not fail the deployment.
 */
export async function recordPreviewStep(pool: Pool, feedback: PreviewFeedback, deploymentId: string, operation: QueuedOperation, step: OperationStep): Promise<void> {
  const next = nextState(operation, step);
  if (!next) return;
  const url = "result" in step && typeof step.result.url === "string" ? step.result.url : null;
  const reason = "result" in step && step.result.status === "error" ? String(step.result.reason ?? "the operation failed") : null;
  const preview = await setPreviewState(pool, deploymentId, next, next === "live" ? url : null, next === "failed" ? reason : null).catch(() => null);
  if (!preview) return;
  try {
    feedback(previewNotice(preview, "result" in step ? step.result : null));
  } catch {
    // Feedback is best effort by contract; a faulty one must still not reach the worker.
  }
}

function nextState(operation: QueuedOperation, step: OperationStep): PreviewState | null {
  if (operation === "deploy") return "started" in step ? "deploying" : step.succeeded ? "live" : "failed";
  if (operation === "destroy" && !("started" in step)) return step.succeeded ? "destroyed" : "failed";
  return null;
}

/** What a pull request is told of its preview as recorded, with the operation's result when one just finished. */
export function previewNotice(preview: PreviewRecord, result: Record<string, unknown> | null): PreviewNotice {
  const failed = result && result.status === "error";
  return {
    source: preview.source,
    repository: preview.repository,
    number: preview.number,
    commit: preview.head_sha,
    stack: preview.stack,
    state: preview.state,
    url: preview.state === "live" ? preview.url : null,
    version: preview.head_sha.slice(0, 12),
    deploymentId: preview.deployment_id,
    result,
    notes: Array.isArray(result?.warnings) ? (result.warnings as unknown[]).filter((line): line is string => typeof line === "string" && (line.startsWith("fork pull request") || line.startsWith("content:"))) : [],
    ...(failed
      ? { failure: { status: "error" as const, stage: String(result.stage) as FailureStage, reason: String(result.reason ?? "the operation failed"), fix_suggestion: String(result.fix_suggestion ?? "") } }
      : {}),
  };
}
