import { access } from "node:fs/promises";
import type { Pool } from "pg";
import { stackConfigPath, type PlannerWorkspace } from "../automation/index";
import type { DeploymentNotifier } from "./deployments";
import { previewNotice } from "./preview-progress";
import { DEFAULT_PREVIEW_TTL_HOURS, destroyPreview, MAX_PREVIEW_DESTROY_ATTEMPTS, type PreviewFeedback } from "./previews";
import type { JobQueue } from "./queue";
import { endedDestroys, expiredPreviews, failedDestroysToRetry, markPreviewGone, previewsHoldingStacks, setPreviewState, type PreviewRecord } from "./repositories/previews";

/** How the service sweeps previews: past their time to live, destroys that failed, stacks removed elsewhere. */
export interface PreviewSweeperOptions {
  readonly pool: Pool;
  readonly queue: JobQueue;
  readonly notifier?: DeploymentNotifier;
  readonly feedback: PreviewFeedback;
  /** Whose stack files tell whether a preview's stack still exists; without it that check is skipped. */
  readonly workspace?: PlannerWorkspace;
  /** Between sweeps; the first runs at once. */
  readonly intervalMs: number;
  /** Told one line per preview it destroys or settles, and per failed sweep. */
  readonly onActivity?: (line: string) => void;
}

/** A destroy that ended this long ago without its preview being told was left by a worker that stopped. */
const ENDED_DESTROY_SETTLED_SECONDS = 60;

/**
 * Queues the destroy of every active preview whose time to live has passed since its last update (a `closed` event
 * that never arrived leaves one behind); the ids of the destroys queued. A preview destroyed meanwhile is skipped, and
 * so is one whose destroy already failed as often as it may.
 */
export async function sweepExpiredPreviews(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<string[]> {
  const queued: string[] = [];
  for (const preview of await expiredPreviews(options.pool, DEFAULT_PREVIEW_TTL_HOURS, MAX_PREVIEW_DESTROY_ATTEMPTS)) {
    const hours = preview.ttl_hours ?? DEFAULT_PREVIEW_TTL_HOURS;
    const id = await destroyPreview(options, preview, `its time to live (${hours} h since its last update, ${preview.updated_at}) has passed`);
    if (id) {
      queued.push(id);
      options.onActivity?.(`preview ${preview.stack}: time to live passed; destroy ${id} queued`);
    }
  }
  return queued;
}

/**
 * Queues another destroy of every preview whose destroy failed fewer than `MAX_PREVIEW_DESTROY_ATTEMPTS` times; the
 * ids queued. One that failed that often stays failed with its reason.
 */
export async function retryFailedDestroys(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<string[]> {
  const queued: string[] = [];
  for (const preview of await failedDestroysToRetry(options.pool, MAX_PREVIEW_DESTROY_ATTEMPTS)) {
    const attempt = preview.destroy_attempts + 1;
    const id = await destroyPreview(options, preview, `its destroy failed (${preview.failure ?? "no reason recorded"}); attempt ${attempt} of ${MAX_PREVIEW_DESTROY_ATTEMPTS}`);
    if (id) {
      queued.push(id);
      options.onActivity?.(`preview ${preview.stack}: destroy failed; attempt ${attempt} of ${MAX_PREVIEW_DESTROY_ATTEMPTS} queued as ${id}`);
    }
  }
  return queued;
}

/**
 * Marks destroyed, as its own destroy would, every live preview (or one whose destroy failed) whose stack no longer
 * exists: `gc` collected it or a person removed it, outside the service. The stacks settled.
 */
export async function settleRemovedStacks(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<string[]> {
  const workspace = options.workspace;
  if (!workspace) return [];
  const settled: string[] = [];
  for (const preview of await previewsHoldingStacks(options.pool)) {
    if (await stackFilePresent(workspace, preview.stack)) continue;
    const gone = await markPreviewGone(options.pool, preview);
    if (!gone) continue;
    settled.push(gone.stack);
    tell(options.feedback, gone);
    options.onActivity?.(`preview ${gone.stack}: its stack no longer exists (removed outside the service); recorded as destroyed`);
  }
  return settled;
}

/**
 * Settles previews left `destroying` by a destroy deployment that ended without its worker telling them (the worker
 * stopped in between): destroyed when it succeeded, else failed with its reason (and so retried, within the bound).
 */
export async function settleEndedDestroys(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<string[]> {
  const settled: string[] = [];
  for (const { preview, succeeded, reason } of await endedDestroys(options.pool, ENDED_DESTROY_SETTLED_SECONDS)) {
    const next = await setPreviewState(options.pool, preview.deployment_id!, succeeded ? "destroyed" : "failed", null, succeeded ? null : (reason ?? "its destroy did not finish"));
    if (!next || next.stack !== preview.stack) continue;
    settled.push(next.stack);
    tell(options.feedback, next);
    options.onActivity?.(`preview ${next.stack}: its destroy ${preview.deployment_id} had ended; recorded as ${next.state}`);
  }
  return settled;
}

/** One sweep: settles what changed outside the service first, then retries failed destroys and expires the old. */
export async function sweepPreviews(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<void> {
  await settleRemovedStacks(options);
  await settleEndedDestroys(options);
  await retryFailedDestroys(options);
  await sweepExpiredPreviews(options);
}

/**
 * Sweeps previews now and every `intervalMs` until stopped. Every worker process sweeps; each preview's destroy is
 * queued once whoever finds it first. A sweep that fails (the database away) is tried again at the next interval.
 */
export function startPreviewSweeper(options: PreviewSweeperOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const sweep = () => {
    if (stopped) return;
    running = running.then(() => sweepPreviews(options)).catch((error: unknown) => options.onActivity?.(`preview sweep failed: ${(error as Error).message.split("\n")[0]}`));
  };
  const timer = setInterval(sweep, options.intervalMs);
  timer.unref();
  sweep();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** Whether the stack's file is in the workspace; a file that cannot be checked counts as present (nothing is settled). */
async function stackFilePresent(workspace: PlannerWorkspace, stack: string): Promise<boolean> {
  return access(stackConfigPath(workspace.stacksDir, stack)).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== "ENOENT",
  );
}

/** Tells the preview's pull request where it stands now; feedback never throws by contract, a faulty one is ignored. */
function tell(feedback: PreviewFeedback, preview: PreviewRecord): void {
  try {
    feedback(previewNotice(preview, null));
  } catch {
    // Best effort, as every preview feedback.
  }
}
