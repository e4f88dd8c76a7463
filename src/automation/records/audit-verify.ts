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

/** One entry of an audit hash chain as a store holds it. */
export interface ChainLink {
  /** The entry's content without its hash; null when what is stored is not a JSON object. */
  readonly entry: Omit<AuditEntry, "hash"> | null;
  /** The hash stored with the entry. */
  readonly hash: unknown;
  /**
   * Hash of the entry before this one in the whole chain (`AUDIT_GENESIS` for the first), for a store that checks
   * only some of its entries; omitted, it is the hash of the link before this one.
   */
  readonly before?: string;
  /** The previous entry's hash as the store records it beside the content, when it does; it must agree too. */
  readonly storedPrevHash?: string;
}

/** What `verifyChain` found: the hash of the last link, or the first link (0-based) that breaks the chain, and how. */
export type ChainVerdict = { readonly intact: true; readonly head: string } | { readonly intact: false; readonly index: number; readonly reason: string };

/**
 * The chain rule every audit trail follows, on disk or in the service's database: each entry's hash matches its
 * content, and it names the hash of the entry before it. An edited entry fails its own hash; a removed or reordered
 * one fails the next entry's link.
 */
export function verifyChain(links: Iterable<ChainLink>): ChainVerdict {
  let previous = AUDIT_GENESIS;
  let index = 0;
  for (const link of links) {
    const before = link.before ?? previous;
    if (link.entry === null) return { intact: false, index, reason: "not a JSON object" };
    if (typeof link.hash !== "string" || entryHash(link.entry) !== link.hash) {
      return { intact: false, index, reason: "its content does not match its hash (edited)" };
    }
    if (link.entry.prev_hash !== before || (link.storedPrevHash !== undefined && link.storedPrevHash !== before)) {
      return { intact: false, index, reason: "it does not follow the entry before it (an entry was removed or reordered)" };
    }
    previous = link.hash;
    index += 1;
  }
  return { intact: true, head: previous };
}

/** One line of a workspace's audit log as a chain link. */
function lineLink(line: string): ChainLink {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { entry: null, hash: undefined };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { entry: null, hash: undefined };
  const { hash, ...entry } = parsed as AuditEntry;
  return { entry, hash };
}

/**
 * Checks the audit trail's hash chain (`verifyChain`), and that the last entry is the head recorded at the last
 * append: an edited entry fails its own hash; a removed or reordered one fails the next entry's link; a removed last
 * entry fails the head.
 */
export async function verifyAudit(dataDir: string): Promise<AuditVerification> {
  const text = await readFile(auditLogPath(dataDir), "utf8").catch(() => "");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const chain = verifyChain(lines.map(lineLink));
  if (!chain.intact) return { intact: false, entries: lines.length, firstBad: { line: chain.index + 1, reason: chain.reason } };
  const head = await auditHead(dataDir);
  if (head.count !== lines.length || head.hash !== chain.head) {
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
