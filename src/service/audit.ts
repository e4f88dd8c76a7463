import type { Pool } from "pg";
import {
  AUDIT_GENESIS,
  entryHash,
  mirrorAudit,
  type AuditEntry,
  type AuditRecord,
  verifyChain,
} from "../automation/index";
import { inLockedTransaction } from "./locked-transaction";
import { SERVICE_SCHEMA } from "./migrations";
import { chainLinks, filteredEntries, insertEntry, lastHash, newestEntries } from "./repositories/audit-entries";

/** Serializes appends to the shared chain across every process on every machine. */
const AUDIT_LOCK = `${SERVICE_SCHEMA}.audit`;

/**
 * Appends one record to the service's audit trail in PostgreSQL, chained to the last entry by hash (the same chain
 * rule as a workspace's own log). A transaction-scoped advisory lock makes concurrent appends from any machine take
 * turns, so the chain is one line.
 */
export async function appendServiceAudit(pool: Pool, record: AuditRecord): Promise<void> {
  await inLockedTransaction(pool, AUDIT_LOCK, async (client) => {
    const entry = { ...record, prev_hash: (await lastHash(client)) ?? AUDIT_GENESIS };
    await insertEntry(client, JSON.stringify(entry), entry.prev_hash, entryHash(entry));
  });
}

/** Sends every audit record of the workspace in `dataDir` to the service's trail too; returns how to stop. */
export function mirrorAuditToService(pool: Pool, dataDir: string): () => void {
  return mirrorAudit(dataDir, (record) => appendServiceAudit(pool, record));
}

/** The newest entries of the service's audit trail (of one project's stacks, one stack, one action, or all), oldest first. */
export async function serviceAudit(
  pool: Pool,
  options: { readonly stack?: string; readonly project?: string; readonly action?: string; readonly limit?: number } = {},
): Promise<AuditEntry[]> {
  const limit = options.limit ?? 1000;
  const rows =
    options.project === undefined && options.action === undefined
      ? await newestEntries(pool, options.stack ?? null, limit)
      : await filteredEntries(pool, { project: options.project ?? null, stack: options.stack ?? null, action: options.action ?? null }, limit);
  return rows.map((row) => ({ ...(row.entry as Omit<AuditEntry, "hash">), hash: row.hash }));
}

/** Outcome of `verifyServiceAudit`. */
export interface ServiceAuditVerification {
  readonly intact: boolean;
  readonly entries: number;
  /** The first entry (by position) that breaks the chain, and how. */
  readonly firstBad?: { readonly position: number; readonly reason: string };
}

/**
 * Checks the chain by the same rule as a workspace's own log (`verifyChain`), with the previous hash the database
 * records beside each entry checked too. With `projects`, only the entries of
 * those projects' stacks are checked, counted and positioned (each against the hash of the entry before it in the
 * whole chain, which the database looks up): a project's admin learns nothing of other projects' entries, not even
 * how many there are.
 */
export async function verifyServiceAudit(pool: Pool, options: { readonly projects?: readonly string[] } = {}): Promise<ServiceAuditVerification> {
  const rows = await chainLinks(pool, options.projects ?? null);
  const chain = verifyChain(
    rows.map((row) => ({ entry: JSON.parse(row.entry) as Omit<AuditEntry, "hash">, hash: row.hash, before: row.before ?? AUDIT_GENESIS, storedPrevHash: row.prev_hash })),
  );
  if (!chain.intact) return { intact: false, entries: rows.length, firstBad: { position: chain.index + 1, reason: chain.reason } };
  return { intact: true, entries: rows.length };
}
