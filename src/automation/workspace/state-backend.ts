/**
 * The state backend's shapes, apart from the code that picks a backend, so that each backend's module and the
 * picker import them one way.
 */

/**
 * Reads a self-managed backend's `.pulumi` tree (stacks, history, locks) directly, without an engine run: a file
 * backend's files, or the PostgreSQL backend's documents, which hold the same tree under the same names.
 */
export interface StateReader {
  /** The names directly under `segments` (e.g. a stack's history files); empty when there are none. */
  list(...segments: string[]): Promise<string[]>;
  /** A document's text, or null when it does not exist. */
  read(...segments: string[]): Promise<string | null>;
  /** Whether a document exists. */
  exists(...segments: string[]): Promise<boolean>;
}

/** One lock document the engine wrote: where it is (a file, or a key of the state table) and what it says. */
export interface EngineLockDocument {
  readonly key: string;
  /** The document's JSON object; empty when a crash cut it short (it still holds the lock, naming no holder). */
  readonly content: Record<string, unknown>;
}

/** What the leases of one host say about its work on a stack. */
export type LeaseState = "live" | "expired" | "none";

/** Options of `StateBackend.acquireStackLock`. */
export interface StackLockOptions {
  /** Epoch milliseconds after which waiting fails with `StackLockedError` naming the holder. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (line: string) => void;
}

/** A held stack lock; `release` frees it for the next waiter. */
export interface StackLock {
  release(): Promise<void>;
}

/**
 * Where a workspace's Pulumi state lives, decided once when the workspace opens: how this product reads it without an
 * engine run, and how it keeps one operation per stack across every process and host sharing it.
 */
export interface StateBackend {
  /** What kind of backend it is: `file`, `postgres`, or `other` (object stores, Pulumi Cloud), which this product cannot read. */
  readonly kind: "file" | "postgres" | "other";
  /** The reader of the backend's `.pulumi` tree, or null for backends this product cannot read. */
  readonly reader: StateReader | null;
  /** A path inside a file backend's `.pulumi` directory, for repairs of its files; null for other backends. */
  filePath(...segments: string[]): string | null;
  /** The engine's lock documents on a stack of `projectName`; empty when it is free or the backend's locks cannot be read. */
  engineLocks(projectName: string, stack: string): Promise<EngineLockDocument[]>;
  /** Removes one of the engine's lock documents (a stale lock), by the key `engineLocks` gave. */
  removeEngineLock(key: string): Promise<void>;
  /**
   * Takes the product's own lock on a stack, across every process and host sharing the backend, for the whole of one
   * operation, with a lease renewed while it is held. A holder that is gone (a dead process on this host, a lease that
   * lapsed elsewhere) is replaced and audited; a live one is waited for until the deadline, then `StackLockedError`.
   * Backends this product cannot write to get a lock that does nothing (the engine's own lock still holds).
   */
  acquireStackLock(stack: string, options: StackLockOptions): Promise<StackLock>;
  /** Whether an operation holds the stack's lock now. */
  stackLockHeld(stack: string): Promise<boolean>;
  /** Breaks the stack's lock by hand when its holder is gone, or with `force` whoever holds it; the holder broken, or null. */
  breakStackLock(stack: string, force: boolean): Promise<string | null>;
  /** Whether `hostname` still renews a lease on the stack: how a lock from another host is judged. */
  hostLeaseState(stack: string, hostname: string): Promise<LeaseState>;
  /** Removes a host's lapsed leases on a stack once the lock they vouched for is broken. */
  removeExpiredLeases(stack: string, hostname: string): Promise<void>;
  /**
   * Creates a new stack of `projectName` as the engine's `stack init` does before it adds its secrets settings, which
   * the stack's first update then adds (a CLI run, with its key derivation, saved). True when this created it; false
   * when the stack exists already, or the backend was never used by the engine (its tree is not set up yet), or this
   * product cannot write to it: the engine creates the stack then.
   */
  createStackRecord(projectName: string, stack: string): Promise<boolean>;
}

/** The document of a stack with no update yet: its qualified name and no deployment. */
export function emptyStackDocument(projectName: string, stack: string): string {
  return JSON.stringify({ version: 3, checkpoint: { stack: `organization/${projectName}/${stack}`, latest: null } });
}

/** Settings of `openStateBackend`. */
export interface StateBackendSettings {
  /** The workspace's data directory, whose audit log records every lock broken. */
  readonly dataDir: string;
  /** How long a lease lives without renewal; default 60 s. */
  readonly leaseTtlMs?: number;
}

