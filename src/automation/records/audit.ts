import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, rename, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import type { TextMasker } from "../../secrets/masker";

/** Every action the audit trail records. */
export type AuditAction = "deploy" | "preview" | "destroy" | "refresh" | "redeploy" | "rollback" | "promote" | "sync" | "gc" | "unlock" | "repair" | "rollout_abort" | "rollout_promote";

/** One audited action. Holds names, versions and digests only — never a secret value. */
export interface AuditRecord {
  readonly time: string;
  readonly action: AuditAction;
  readonly stack: string;
  readonly status: "success" | "error";
  /** Who ran the action: the operating-system user, a service token, a webhook (null in entries that do not say). */
  readonly actor: string | null;
  /** Who the request named as its deployer (`deployer_id`, else `user_id`), when it named one. */
  readonly deployer?: string | null;
  /** The operation's id, which its entries in the stack's history carry too. */
  readonly operation_id?: string;
  /** The error's code when it failed (`CANCELLED` for a cancelled operation). */
  readonly code?: string;
  readonly version_name?: string | null;
  readonly artifact_digest?: string | null;
  readonly target?: string;
  readonly stage?: string;
  readonly reason?: string;
  readonly update_version?: number;
  /**
   * A deployment that found `update_version` already serving the same spec, bundle and secrets and changed nothing:
   * no engine ran and the stack's history got no new update.
   */
  readonly converged?: boolean;
  /** For a rollback or promotion: the version it replaced and the version it applied. */
  readonly from_version?: number | string | null;
  readonly to_version?: number | string | null;
  readonly host: string;
  readonly duration_ms?: number;
}

/** Hash of the entry before the first one. */
export const AUDIT_GENESIS = "0".repeat(64);

/** An audit record as stored: chained to the one before it by hash. */
export interface AuditEntry extends AuditRecord {
  /** Hash of the previous entry (`AUDIT_GENESIS` for the first). */
  readonly prev_hash: string;
  /** SHA-256 of this entry's JSON without `hash`, so editing, removing or reordering any entry breaks the chain. */
  readonly hash: string;
}

/** Path of a workspace's append-only audit log (JSON Lines). */
export function auditLogPath(dataDir: string): string {
  return path.join(dataDir, "audit.log");
}

/** Path of the file holding the chain's head (entry count and last hash), which catches a removed last entry. */
export function auditHeadPath(dataDir: string): string {
  return path.join(dataDir, "audit.head");
}

/** The hash of an entry: SHA-256 of its JSON (fields in stored order) without the `hash` field. */
export function entryHash(entry: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(JSON.stringify(entry)).digest("hex");
}

/** The chain's head as recorded after the last append. */
export interface AuditHead {
  readonly count: number;
  readonly hash: string;
}

async function readHead(dataDir: string): Promise<AuditHead> {
  try {
    const head = JSON.parse(await readFile(auditHeadPath(dataDir), "utf8")) as Partial<AuditHead>;
    if (typeof head.count === "number" && typeof head.hash === "string") return head as AuditHead;
  } catch {
    // No head yet: an empty trail.
  }
  return { count: 0, hash: AUDIT_GENESIS };
}

/** Reads the recorded head of the chain. */
export function auditHead(dataDir: string): Promise<AuditHead> {
  return readHead(dataDir);
}

/** Receives each audit record as it is appended (already masked): a shared store that keeps the trail of many machines. */
export type AuditMirror = (record: AuditRecord) => Promise<void>;

const mirrors = new Map<string, AuditMirror>();

/**
 * Sends every record appended to a workspace's audit log to `mirror` too (the deployment service keeps the trail of
 * all its machines in its database this way). Returns how to stop. A mirror that fails never fails the operation: the
 * record stays in the workspace's own log.
 */
export function mirrorAudit(dataDir: string, mirror: AuditMirror): () => void {
  const key = path.resolve(dataDir);
  mirrors.set(key, mirror);
  return () => {
    if (mirrors.get(key) === mirror) mirrors.delete(key);
  };
}

/**
 * Appends one record to the audit log, chained to the previous entry. Text fields pass through the masker before they
 * are hashed and written. Appends from concurrent processes are serialized by a lock on the log, held for the few
 * milliseconds one append takes (a crashed holder's lock goes stale after 10 s).
 */
export async function appendAudit(
  dataDir: string,
  record: Omit<AuditRecord, "time" | "host">,
  masker?: TextMasker,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = auditLogPath(dataDir);
  let mirrored: AuditRecord | null = null;
  await writeFile(file, "", { flag: "a", mode: 0o600 });
  const release = await lockfile.lock(file, { realpath: false, stale: 10_000, retries: { retries: 200, minTimeout: 5, maxTimeout: 100, factor: 1.5 } });
  try {
    await dropTornTail(file);
    const head = await reconcileHead(dataDir, await readHead(dataDir));
    const full: AuditRecord = { time: new Date().toISOString(), host: os.hostname(), ...record };
    const masked = Object.fromEntries(
      Object.entries(full).map(([key, value]) => [key, typeof value === "string" && masker ? masker.mask(value) : value]),
    ) as unknown as AuditRecord;
    const entry = { ...masked, prev_hash: head.hash };
    const hash = entryHash(entry);
    await appendFile(file, JSON.stringify({ ...entry, hash }) + "\n", { mode: 0o600 });
    const next: AuditHead = { count: head.count + 1, hash };
    const temporary = `${auditHeadPath(dataDir)}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(next), { mode: 0o600 });
    await rename(temporary, auditHeadPath(dataDir));
    mirrored = masked;
  } finally {
    await release();
  }
  const mirror = mirrors.get(path.resolve(dataDir));
  if (mirror && mirrored) await mirror(mirrored).catch(() => undefined);
}

/**
 * Drops a last line that a crash cut short mid-append (no newline at its end): that entry was never completed, and the
 * head, written after the line, still names the entry before it, so the chain stays verifiable.
 */
async function dropTornTail(file: string): Promise<void> {
  const text = await readFile(file, "utf8");
  if (text === "" || text.endsWith("\n")) return;
  await truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
}

/**
 * A crash between appending an entry and recording the head leaves a complete entry the head does not count yet: it
 * links to the head and its own hash holds, so the head is moved on to it.
 */
async function reconcileHead(dataDir: string, head: AuditHead): Promise<AuditHead> {
  const text = await readFile(auditLogPath(dataDir), "utf8");
  const lastLine = text.trimEnd().split("\n").at(-1);
  if (!lastLine) return head;
  let last: AuditEntry;
  try {
    last = JSON.parse(lastLine) as AuditEntry;
  } catch {
    return head;
  }
  const { hash, ...entry } = last;
  if (hash === head.hash || entry.prev_hash !== head.hash || entryHash(entry) !== hash) return head;
  const next = { count: head.count + 1, hash };
  await writeFile(auditHeadPath(dataDir), JSON.stringify(next), { mode: 0o600 });
  return next;
}

/** Reads the audit log, oldest first. */
export async function readAudit(dataDir: string): Promise<AuditEntry[]> {
  const text = await readFile(auditLogPath(dataDir), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditEntry);
}

/** What an audited operation records besides its outcome. */
export type AuditSubject = Omit<AuditRecord, "time" | "host" | "status" | "duration_ms" | "stage" | "reason">;

/**
 * Runs an operation and appends one audit record of its outcome: success, or error with the failing stage and the
 * masked reason. An audit log that cannot be written never fails the operation itself.
 */
export async function audited<T>(
  dataDir: string,
  subject: AuditSubject,
  masker: TextMasker | undefined,
  run: () => Promise<T>,
  details: (result: T) => Partial<AuditRecord> = () => ({}),
): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    await appendAudit(dataDir, { ...subject, status: "success", ...details(result), duration_ms: Date.now() - started }, masker).catch(() => undefined);
    return result;
  } catch (error) {
    const failed = error as { stage?: string; message?: string; code?: unknown };
    await appendAudit(
      dataDir,
      {
        ...subject,
        status: "error",
        ...(typeof failed.code === "string" ? { code: failed.code } : {}),
        stage: typeof failed.stage === "string" ? failed.stage : "internal",
        reason: String(failed.message ?? error).split("\n")[0]?.slice(0, 500),
        duration_ms: Date.now() - started,
      },
      masker,
    ).catch(() => undefined);
    throw error;
  }
}
