import type { Pool } from "pg";
import type { DeploymentNotifier } from "./deployments";
import { DEFAULT_PREVIEW_TTL_HOURS, destroyPreview, type PreviewFeedback } from "./previews";
import type { JobQueue } from "./queue";
import { expiredPreviews } from "./repositories/previews";

/** How the service sweeps previews past their time to live. */
export interface PreviewSweeperOptions {
  readonly pool: Pool;
  readonly queue: JobQueue;
  readonly notifier?: DeploymentNotifier;
  readonly feedback: PreviewFeedback;
  /** Between sweeps; the first runs at once. */
  readonly intervalMs: number;
  /** Told one line per preview it destroys, and per failed sweep. */
  readonly onActivity?: (line: string) => void;
}

/**
 * Queues the destroy of every active preview whose time to live has passed since its last update (a `closed` event
 * that never arrived leaves one behind); the ids of the destroys queued. A preview destroyed meanwhile is skipped.
 */
export async function sweepExpiredPreviews(options: Omit<PreviewSweeperOptions, "intervalMs">): Promise<string[]> {
  const queued: string[] = [];
  for (const preview of await expiredPreviews(options.pool, DEFAULT_PREVIEW_TTL_HOURS)) {
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
 * Sweeps expired previews now and every `intervalMs` until stopped. Every worker process sweeps; each preview's destroy
 * is queued once whoever finds it first. A sweep that fails (the database away) is tried again at the next interval.
 */
export function startPreviewSweeper(options: PreviewSweeperOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const sweep = () => {
    if (stopped) return;
    running = running.then(() => sweepExpiredPreviews(options)).catch((error: unknown) => options.onActivity?.(`preview sweep failed: ${(error as Error).message.split("\n")[0]}`));
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
