import { appendAudit } from "../records/index";
import { destroyStack, listStacks } from "../engine/index";
import { readStackSpec, type PlannerWorkspace } from "../workspace/index";

/** Options of `collectExpiredPreviews`. */
export interface GcOptions {
  /** List what would be destroyed, change nothing. */
  readonly dryRun?: boolean;
  /** The current time (epoch ms); default now. */
  readonly now?: number;
  readonly actor?: string | null;
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** How long to wait for an operation that holds an expired stack; default 0 (it is left for the next run). */
  readonly lockWaitMs?: number;
}

/** What one `gc` run found and did. */
export interface GcResult {
  readonly dry_run: boolean;
  /** Expired preview stacks, with when each expired. */
  readonly expired: readonly { readonly stack: string; readonly expired_at: string }[];
  /** Stacks destroyed and removed (empty on a dry run). */
  readonly destroyed: readonly string[];
  /** Stacks that could not be destroyed this time, and why; the next run tries again. */
  readonly failed: readonly { readonly stack: string; readonly reason: string }[];
}

/**
 * Destroys preview environments whose time to live has passed since their last update: their resources, their stack
 * and its stack file. Only stacks of the `preview` tier are ever touched; a stack busy with another operation is left
 * for the next run. Idempotent and safe to run from cron; each destroyed stack is audited (`destroy`) and so is the run
 * (`gc`).
 */
export async function collectExpiredPreviews(workspace: PlannerWorkspace, options: GcOptions = {}): Promise<GcResult> {
  const now = options.now ?? Date.now();
  const expired: { stack: string; expired_at: string }[] = [];
  for (const summary of await listStacks(workspace)) {
    if (summary.expires_at === null || Date.parse(summary.expires_at) > now) continue;
    const spec = await readStackSpec(workspace.stacksDir, summary.stack).catch(() => null);
    if (spec?.tier !== "preview") continue;
    expired.push({ stack: summary.stack, expired_at: summary.expires_at });
  }
  const destroyed: string[] = [];
  const failed: { stack: string; reason: string }[] = [];
  if (!options.dryRun) {
    for (const { stack } of expired) {
      options.onProgress?.(`destroying expired preview ${stack}`);
      try {
        await destroyStack(stack, { workspace, removeStack: true, actor: options.actor, onProgress: options.onProgress, signal: options.signal, lockWaitMs: options.lockWaitMs ?? 0 });
        destroyed.push(stack);
      } catch (error) {
        failed.push({ stack, reason: error instanceof Error ? error.message.split("\n")[0]!.slice(0, 300) : String(error) });
      }
    }
    await appendAudit(workspace.dataDir, {
      action: "gc",
      stack: "*",
      status: failed.length === 0 ? "success" : "error",
      actor: options.actor ?? null,
      reason: `destroyed ${destroyed.length} expired preview stack(s)${destroyed.length ? `: ${destroyed.join(", ")}` : ""}${failed.length ? `; ${failed.length} left for the next run` : ""}`,
    }).catch(() => undefined);
  }
  return { dry_run: options.dryRun === true, expired, destroyed, failed };
}
