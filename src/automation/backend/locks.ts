import os from "node:os";
import { appendAudit } from "../records/index";
import { isSameProcess, PROJECT_NAME, type PlannerWorkspace } from "../workspace/index";

/** Who holds a stack's lock, as the engine recorded it in the state backend. */
export interface LockHolder {
  /** The lock file in the backend (for the PostgreSQL backend: its key in the state table). */
  readonly file: string;
  readonly pid: number | null;
  readonly hostname: string | null;
  readonly username: string | null;
  /** When the lock was taken (ISO 8601), or null when the file does not say. */
  readonly since: string | null;
}

/** What is known of a holder: alive, gone, or not decidable from here (another host). */
export type HolderState = "alive" | "gone" | "unknown";

/** A broken lock and why it could be broken. */
export interface BrokenLock {
  readonly holder: LockHolder;
  readonly reason: string;
}

/**
 * The directory of a stack's lock files in a file backend (`<state>/.pulumi/locks/organization/<project>/<stack>`),
 * or null for backends whose locks are not files (PostgreSQL, cloud object stores, Pulumi Cloud).
 */
export function stackLockDir(workspace: PlannerWorkspace, projectName: string, stack: string): string | null {
  return workspace.stateBackend.filePath("locks", "organization", projectName, stack);
}

/** The holders of a stack's lock; empty when it is free or its backend's locks cannot be read. */
export async function lockHolders(workspace: PlannerWorkspace, projectName: string, stack: string): Promise<LockHolder[]> {
  return (await workspace.stateBackend.engineLocks(projectName, stack)).map(({ key, content }) => holderOf(key, content));
}

/** A lock's holder from the lock document the engine wrote. */
function holderOf(file: string, content: Record<string, unknown>): LockHolder {
  return {
    file,
    pid: typeof content.pid === "number" ? content.pid : null,
    hostname: typeof content.hostname === "string" ? content.hostname : null,
    username: typeof content.username === "string" ? content.username : null,
    since: typeof content.timestamp === "string" ? content.timestamp : null,
  };
}
/**
 * Whether a holder still runs. On this host: its process exists and started before the lock was taken (a later start
 * means the pid was reused by another program). On another host: whether that host still renews a lease on the stack
 * (see `takeLease`); a lock from a host that never took one (a plain `pulumi` run) cannot be judged from here.
 */
export async function holderState(workspace: PlannerWorkspace, stack: string, holder: LockHolder): Promise<HolderState> {
  if (holder.hostname !== null && holder.hostname !== os.hostname()) {
    const lease = await workspace.stateBackend.hostLeaseState(stack, holder.hostname);
    return lease === "live" ? "alive" : lease === "expired" ? "gone" : "unknown";
  }
  if (holder.pid === null) return "unknown";
  return (await isSameProcess(holder.pid, holder.since ? Date.parse(holder.since) : Number.NaN)) ? "alive" : "gone";
}

/**
 * Breaks the stack's locks whose holders are gone (or every lock, with `force`), recording each in the audit log.
 * A live holder's lock is never broken without `force`. `lostHosts` names hosts whose operation on this stack is
 * known to have died (a job queue handed it on after its worker stopped beating): their holders count as gone.
 */
export async function breakStaleLocks(
  workspace: PlannerWorkspace,
  projectName: string,
  stack: string,
  options: { readonly force?: boolean; readonly actor?: string | null; readonly lostHosts?: readonly string[] } = {},
): Promise<{ broken: BrokenLock[]; held: LockHolder[] }> {
  const broken: BrokenLock[] = [];
  const held: LockHolder[] = [];
  for (const holder of await lockHolders(workspace, projectName, stack)) {
    const lost = holder.hostname !== null && holder.hostname !== os.hostname() && (options.lostHosts ?? []).includes(holder.hostname);
    const state = lost ? "gone" : await holderState(workspace, stack, holder);
    if (state !== "gone" && !options.force) {
      held.push(holder);
      continue;
    }
    const elsewhere = holder.hostname !== null && holder.hostname !== os.hostname();
    const reason =
      state !== "gone"
        ? `broken by hand (--force) while its holder's state was ${state}`
        : lost
          ? `its holder's worker on ${holder.hostname} stopped beating and its job moved to ${os.hostname()}`
          : elsewhere
          ? `its holder on ${holder.hostname} stopped renewing its lease`
          : `its holder, process ${holder.pid} on ${holder.hostname}, is gone`;
    await workspace.stateBackend.removeEngineLock(holder.file);
    if (elsewhere && state === "gone") await workspace.stateBackend.removeExpiredLeases(stack, holder.hostname!);
    broken.push({ holder, reason });
    await appendAudit(workspace.dataDir, {
      action: "unlock",
      stack,
      status: "success",
      actor: options.actor ?? null,
      reason: `lock taken ${holder.since ?? "at an unknown time"} by ${describeHolder(holder)} broken: ${reason}`,
    }).catch(() => undefined);
  }
  return { broken, held };
}

/** A holder for a person: who, on which host, which process, since when. */
export function describeHolder(holder: LockHolder): string {
  const who = holder.username ? `${holder.username}@` : "";
  const host = holder.hostname ?? "an unknown host";
  const pid = holder.pid !== null ? `, pid ${holder.pid}` : "";
  const since = holder.since ? `, since ${holder.since}` : "";
  return `${who}${host}${pid}${since}`;
}

/** Result of `unlockStack`. */
export interface UnlockResult {
  readonly stack: string;
  readonly broken: readonly BrokenLock[];
  /** Locks left in place: their holders run (or, on another host, cannot be checked; `force` breaks those). */
  readonly held: readonly LockHolder[];
  /** Whether the product's own deployment lock on the stack (see `acquireStackMutex`) was broken too. */
  readonly mutexBroken: boolean;
}

/**
 * Breaks a stack's lock by hand: locks whose holders are gone, or with `force` every lock (for a holder on another
 * host known to be dead). Each broken lock is recorded in the audit log.
 */
export async function unlockStack(
  workspace: PlannerWorkspace,
  stack: string,
  options: { readonly force?: boolean; readonly actor?: string | null } = {},
): Promise<UnlockResult> {
  const { broken, held } = await breakStaleLocks(workspace, PROJECT_NAME, stack, options);
  const mutexHolder = await workspace.stateBackend.breakStackLock(stack, options.force === true);
  if (mutexHolder !== null) {
    const reason = options.force ? "broken by hand (--force)" : "its holder is gone";
    await appendAudit(workspace.dataDir, { action: "unlock", stack, status: "success", actor: options.actor ?? null, reason: `deployment lock of ${mutexHolder} broken: ${reason}` }).catch(() => undefined);
  }
  return { stack, broken, held, mutexBroken: mutexHolder !== null };
}
