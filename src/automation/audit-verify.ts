import { readFile } from "node:fs/promises";
import { AUDIT_GENESIS, auditHead, auditLogPath, entryHash, readAudit, type AuditEntry } from "./audit";

/** Outcome of `verifyAudit`. */
export interface AuditVerification {
  readonly intact: boolean;
  /** Entries read. */
  readonly entries: number;
  /** The first entry that breaks the chain (1-based line), and how; absent when intact. */
  readonly firstBad?: { readonly line: number; readonly reason: string };
}

/**
 * Checks the audit trail's hash chain: every entry's hash matches its content, every entry names the hash of the one
 * before it, and the last entry is the head recorded at the last append. An edited entry fails its own hash; a removed
 * or reordered one fails the next entry's link; a removed last entry fails the head.
 */
export async function verifyAudit(dataDir: string): Promise<AuditVerification> {
  const text = await readFile(auditLogPath(dataDir), "utf8").catch(() => "");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let previous = AUDIT_GENESIS;
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    let parsed: AuditEntry;
    try {
      parsed = JSON.parse(line) as AuditEntry;
    } catch {
      return { intact: false, entries: lines.length, firstBad: { line: number, reason: "not a JSON object" } };
    }
    const { hash, ...entry } = parsed;
    if (typeof hash !== "string" || entryHash(entry) !== hash) {
      return { intact: false, entries: lines.length, firstBad: { line: number, reason: "its content does not match its hash (edited)" } };
    }
    if (entry.prev_hash !== previous) {
      return { intact: false, entries: lines.length, firstBad: { line: number, reason: "it does not follow the entry before it (an entry was removed or reordered)" } };
    }
    previous = hash;
  }
  const head = await auditHead(dataDir);
  if (head.count !== lines.length || head.hash !== previous) {
    return {
      intact: false,
      entries: lines.length,
      firstBad: { line: lines.length + 1, reason: `the trail ends after ${lines.length} entries, but ${head.count} were written (entries were removed from its end)` },
    };
  }
  return { intact: true, entries: lines.length };
}

/** Filters of `queryAudit`. */
export interface AuditQuery {
  /** Only entries of this project's stacks. */
  readonly projectId?: string;
  /** Only entries at or after this time. */
  readonly since?: Date;
}

/** The audit trail, oldest first, filtered by project and time. */
export async function queryAudit(dataDir: string, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const since = query.since?.getTime() ?? -Infinity;
  return (await readAudit(dataDir)).filter(
    (entry) => (query.projectId === undefined || entry.stack.startsWith(`${query.projectId}.`)) && Date.parse(entry.time) >= since,
  );
}
