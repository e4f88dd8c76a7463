import type { Pool } from "pg";
import { AUDIT_GENESIS, entryHash, mirrorAudit, type AuditEntry, type AuditRecord } from "../automation/audit";
import { inLockedTransaction } from "./locked-transaction";
import { SERVICE_SCHEMA } from "./migrations";

/** Serializes appends to the shared chain across every process on every machine. */
const AUDIT_LOCK = `${SERVICE_SCHEMA}.audit`;

/**
 * Appends one record to the service's audit trail in PostgreSQL, chained to the last entry by hash (the same chain
 * rule as a workspace's own log). A transaction-scoped advisory lock makes concurrent appends from any machine take
 * turns, so the chain is one line.
 */
export async function appendServiceAudit(pool: Pool, record: AuditRecord): Promise<void> {
  await inLockedTransaction(pool, AUDIT_LOCK, async (client) => {
    const last = await client.query<{ hash: string }>(`select hash from ${SERVICE_SCHEMA}.audit_entries order by seq desc limit 1`);
    const entry = { ...record, prev_hash: last.rows[0]?.hash ?? AUDIT_GENESIS };
    const hash = entryHash(entry);
    await client.query(`insert into ${SERVICE_SCHEMA}.audit_entries (entry, prev_hash, hash) values ($1, $2, $3)`, [JSON.stringify(entry), entry.prev_hash, hash]);
  });
}

/** Sends every audit record of the workspace in `dataDir` to the service's trail too; returns how to stop. */
export function mirrorAuditToService(pool: Pool, dataDir: string): () => void {
  return mirrorAudit(dataDir, (record) => appendServiceAudit(pool, record));
}

/** The newest entries of the service's audit trail (of one stack, or all), oldest first. */
export async function serviceAudit(pool: Pool, options: { readonly stack?: string; readonly limit?: number } = {}): Promise<AuditEntry[]> {
  const rows = await pool.query<{ entry: Omit<AuditEntry, "hash">; hash: string }>(
    `select entry, hash from (
       select seq, entry, hash from ${SERVICE_SCHEMA}.audit_entries where $1::text is null or entry->>'stack' = $1 order by seq desc limit $2
     ) newest order by seq`,
    [options.stack ?? null, options.limit ?? 1000],
  );
  return rows.rows.map((row) => ({ ...row.entry, hash: row.hash }) as AuditEntry);
}

/** Outcome of `verifyServiceAudit`. */
export interface ServiceAuditVerification {
  readonly intact: boolean;
  readonly entries: number;
  /** The first entry (by position) that breaks the chain, and how. */
  readonly firstBad?: { readonly position: number; readonly reason: string };
}

/**
 * Checks the chain: each entry's hash matches its content and names the hash of the one before it. An edited entry
 * fails its own hash; a removed or reordered one fails the next entry's link. With `projects`, only the entries of
 * those projects' stacks are checked, counted and positioned (each against the hash of the entry before it in the
 * whole chain, which the database looks up): a project's admin learns nothing of other projects' entries, not even
 * how many there are.
 */
export async function verifyServiceAudit(pool: Pool, options: { readonly projects?: readonly string[] } = {}): Promise<ServiceAuditVerification> {
  const rows = await pool.query<{ entry: string; prev_hash: string; hash: string; before: string | null }>(
    `select entry, prev_hash, hash, before from (
       select seq, entry::text as entry, entry->>'stack' as stack, prev_hash, hash, lag(hash) over (order by seq) as before from ${SERVICE_SCHEMA}.audit_entries
     ) chain where $1::text[] is null or split_part(stack, '.', 1) = any($1::text[]) order by seq`,
    [options.projects ? [...options.projects] : null],
  );
  for (const [index, row] of rows.rows.entries()) {
    const previous = row.before ?? AUDIT_GENESIS;
    const entry = JSON.parse(row.entry) as Omit<AuditEntry, "hash">;
    if (entry.prev_hash !== previous || row.prev_hash !== previous) {
      return { intact: false, entries: rows.rows.length, firstBad: { position: index + 1, reason: "it does not follow the entry before it (an entry was removed or reordered)" } };
    }
    if (entryHash(entry) !== row.hash) {
      return { intact: false, entries: rows.rows.length, firstBad: { position: index + 1, reason: "its content does not match its hash (edited)" } };
    }
  }
  return { intact: true, entries: rows.rows.length };
}
