import {
  delay,
  OperationCancelledError,
  StackLockedError,
  PROJECT_NAME,
  type PlannerWorkspace,
} from "../workspace/index";
import { breakStaleLocks, describeHolder, lockHolders, type LockHolder } from "./locks";
import { reapOrphanProviders } from "./orphans";

/** How often a waiter looks at the stack's lock directory; cheap (one directory read). */
const POLL_MS = 200;
/** How often a waiter checks whether the lock's holder still runs (a `ps` run per holder). */
const HOLDER_CHECK_MS = 2_000;

/** Options of `waitForFreeLock`. */
export interface LockWaitOptions {
  /** Epoch milliseconds after which waiting fails with `StackLockedError` naming the holder. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

/**
 * Waits until no lock is held on a stack, before an engine process is started for it: a held lock costs a directory
 * read every `POLL_MS` instead of an engine start, so a queue of waiting deploys moves as soon as each holder is done.
 * A lock whose holder is gone (a killed deploy) is broken at once, with the dead engine's orphaned provider
 * processes. Backends whose locks cannot be read return at once; the engine reports their lock instead.
 */
export async function waitForFreeLock(workspace: PlannerWorkspace, stack: string, options: LockWaitOptions): Promise<void> {
  const checked = new Map<string, number>();
  let announced = false;
  for (;;) {
    let held: LockHolder[] = await lockHolders(workspace, PROJECT_NAME, stack);
    if (held.length === 0) return;
    const due = held.some((holder) => (checked.get(holder.file) ?? 0) + HOLDER_CHECK_MS <= Date.now());
    if (due) {
      const result = await breakStaleLocks(workspace, PROJECT_NAME, stack);
      for (const lock of result.broken) options.onProgress?.(`broke the stale lock of ${stack}: ${lock.reason}`);
      // A holder that died mid-update leaves its engine's provider processes behind.
      if (result.broken.length > 0) await reapOrphanProviders(workspace.toolchain);
      for (const holder of result.held) checked.set(holder.file, Date.now());
      held = result.held;
      if (held.length === 0) return;
    }
    if (options.signal?.aborted) throw new OperationCancelledError(stack);
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) throw new StackLockedError(stack, held.map(describeHolder));
    if (!announced) {
      options.onProgress?.(`stack ${stack} is locked by ${describeHolder(held[0]!)}; waiting up to ${Math.ceil(remaining / 1000)} s`);
      announced = true;
    }
    // Jitter keeps many waiters from all starting an engine in the same instant.
    await delay(Math.min(POLL_MS / 2 + Math.random() * POLL_MS, remaining), options.signal);
  }
}
