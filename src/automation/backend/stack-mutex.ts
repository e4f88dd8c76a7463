import { link, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { appendAudit } from "../records/index";
import { OperationCancelledError, StackLockedError, delay, isSameProcess, PROJECT_NAME } from "../workspace/index";
import { hostLeaseState, removeExpiredLeases, takeLease, type StackLease } from "./leases";

/** How often a waiter tries the mutex again. */
const POLL_MS = 150;

/** Who holds a stack's mutex. */
interface MutexRecord {
  readonly hostname: string;
  readonly pid: number;
  readonly since: string;
}

/** Options of `acquireStackMutex`. */
export interface StackMutexOptions {
  /** Epoch milliseconds after which waiting fails with `StackLockedError` naming the holder. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

/** A held stack mutex; `release` frees it for the next waiter. */
export interface StackMutex {
  release(): Promise<void>;
}

/** Where a file backend (its directory `root`) keeps a stack's mutex record. */
function mutexFile(root: string, stack: string): string {
  return path.join(root, ".deployment-planner", "mutex", PROJECT_NAME, `${stack}.json`);
}

/**
 * Takes the product's own lock on a stack, across every process (and host) sharing the backend, for the whole of one
 * operation: writing the stack file and running the engine. Pulumi's lock covers only the engine run, so without it
 * two concurrent deploys could each write the stack file and one engine record the other's spec. Holding the mutex
 * also holds a lease on the stack (see `takeLease`). A holder that is gone (a dead process here, an expired lease
 * elsewhere) is replaced at once and audited (in `dataDir`'s audit log); a live one is waited for until the deadline.
 * `root` is the file backend's directory; the PostgreSQL backend keeps its lock in the database instead.
 */
export async function acquireStackMutex(root: string, dataDir: string, stack: string, options: StackMutexOptions, leaseTtlMs?: number): Promise<StackMutex> {
  const file = mutexFile(root, stack);
  await mkdir(path.dirname(file), { recursive: true });
  const record: MutexRecord = { hostname: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  let announced = false;
  // When each live holder was last checked: a full check runs `ps`, too costly for every poll of many waiters.
  const checkedAlive = new Map<string, number>();
  for (;;) {
    if (await tryCreate(file, record)) {
      let lease: StackLease;
      try {
        lease = await takeLease(root, stack, leaseTtlMs);
      } catch (error) {
        await rm(file, { force: true });
        throw error;
      }
      return {
        async release() {
          await lease.release();
          await rm(file, { force: true });
        },
      };
    }
    const holder = await readHolder(file);
    const key = holder !== null && holder !== "gone" ? `${holder.hostname}/${holder.pid}/${holder.since}` : "";
    const recentlyAlive = (checkedAlive.get(key) ?? -Infinity) + 2_000 > Date.now();
    if (holder === "gone" || (holder !== null && !recentlyAlive && (await holderGone(root, stack, holder)))) {
      if (await breakMutex(file, holder)) {
        const reason =
          holder === "gone"
            ? "its record was left unfinished by a crash"
            : holder.hostname === os.hostname()
              ? `its holder, process ${holder.pid} on ${holder.hostname}, is gone`
              : `its holder on ${holder.hostname} stopped renewing its lease`;
        options.onProgress?.(`broke the stale lock of ${stack}: ${reason}`);
        await appendAudit(dataDir, { action: "unlock", stack, status: "success", actor: null, reason: `deployment lock broken: ${reason}` }).catch(() => undefined);
        if (holder !== "gone" && holder.hostname !== os.hostname()) await removeExpiredLeases(root, stack, holder.hostname);
      }
      continue;
    }
    if (key && !recentlyAlive) checkedAlive.set(key, Date.now());
    if (options.signal?.aborted) throw new OperationCancelledError(stack);
    const remaining = options.deadline - Date.now();
    const named = holder === null ? [] : [`${holder.hostname}, pid ${holder.pid}, since ${holder.since}`];
    if (remaining <= 0) throw new StackLockedError(stack, named);
    if (!announced) {
      options.onProgress?.(`stack ${stack} is locked by ${named[0] ?? "another deployment"}; waiting up to ${Math.ceil(remaining / 1000)} s`);
      announced = true;
    }
    await delay(Math.min(POLL_MS / 2 + Math.random() * POLL_MS, remaining), options.signal);
  }
}

/** Creates the mutex file exclusively; false when another holder has it. */
async function tryCreate(file: string, record: MutexRecord): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * The holder recorded in the mutex file: null when the file is gone or being written (try again), "gone" when a crash
 * left it empty or cut short long enough ago that no writer is still at it.
 */
async function readHolder(file: string): Promise<MutexRecord | "gone" | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const record = JSON.parse(text) as Partial<MutexRecord>;
    if (typeof record.hostname === "string" && typeof record.pid === "number" && typeof record.since === "string") return record as MutexRecord;
  } catch {
    // Falls through: an unfinished record.
  }
  const info = await stat(file).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs > 5_000 ? "gone" : null;
}

/** Whether a mutex holder is gone: a dead (or reused) pid on this host, an expired lease on another. */
async function holderGone(root: string, stack: string, holder: MutexRecord): Promise<boolean> {
  if (holder.hostname !== os.hostname()) return (await hostLeaseState(root, stack, holder.hostname)) === "expired";
  return !(await isSameProcess(holder.pid, Date.parse(holder.since)));
}

/**
 * Removes a stale mutex file without ever removing a live one: it is first moved aside, and if what was moved is not
 * the record judged stale (a new holder took the mutex in between), it is put back.
 */
async function breakMutex(file: string, judged: MutexRecord | "gone"): Promise<boolean> {
  const aside = `${file}.${randomBytes(6).toString("hex")}.broken`;
  try {
    await rename(file, aside);
  } catch {
    return false;
  }
  const moved = await readHolder(aside);
  const same = judged === "gone" ? moved === "gone" || moved === null : moved !== null && moved !== "gone" && moved.pid === judged.pid && moved.since === judged.since;
  if (!same) {
    // Put the live record back; if someone else has taken the mutex meanwhile, theirs stands and this one is dropped.
    await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

/** Whether an operation holds the stack's deployment lock now. */
export async function stackMutexHeld(root: string, stack: string): Promise<boolean> {
  return stat(mutexFile(root, stack)).then(() => true, () => false);
}

/**
 * Breaks a stack's mutex by hand: when its holder is gone, or with `force` whoever holds it (a holder on another host
 * known to be dead). Returns the holder it broke, or null.
 */
export async function breakStackMutex(root: string, stack: string, force: boolean): Promise<string | null> {
  const file = mutexFile(root, stack);
  const holder = await readHolder(file);
  if (holder === null) return null;
  if (!force && holder !== "gone" && !(await holderGone(root, stack, holder))) return null;
  if (!(await breakMutex(file, holder))) return null;
  return holder === "gone" ? "an unfinished record" : `${holder.hostname}, pid ${holder.pid}, since ${holder.since}`;
}
