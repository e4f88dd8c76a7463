import type { Pool, PoolClient } from "pg";
import { SERVICE_SCHEMA } from "../migrations";

/**
 * The `audit_entries` table: the service's audit trail, chained by hash in insertion order. Appends take a client
 * already holding the audit lock (see service/audit.ts), so the chain is one line.
 */

const TABLE = `${SERVICE_SCHEMA}.audit_entries`;

/** The hash of the newest entry, or null for an empty trail. */
export async function lastHash(client: PoolClient): Promise<string | null> {
  const last = await client.query<{ hash: string }>(`select hash from ${TABLE} order by seq desc limit 1`);
  return last.rows[0]?.hash ?? null;
}

/** Appends an entry (kept as the exact JSON text its hash was computed over). */
export async function insertEntry(client: PoolClient, entryJson: string, prevHash: string, hash: string): Promise<void> {
  await client.query(`insert into ${TABLE} (entry, prev_hash, hash) values ($1, $2, $3)`, [entryJson, prevHash, hash]);
}

/** The newest `limit` entries (of one stack, or all), oldest first, each as its stored JSON value and hash. */
export async function newestEntries(pool: Pool, stack: string | null, limit: number): Promise<{ readonly entry: unknown; readonly hash: string }[]> {
  const rows = await pool.query<{ entry: unknown; hash: string }>(
    `select entry, hash from (
       select seq, entry, hash from ${TABLE} where $1::text is null or entry->>'stack' = $1 order by seq desc limit $2
     ) newest order by seq`,
    [stack, limit],
  );
  return rows.rows;
}

/** The newest `limit` entries of the stacks of `project`, of `stack` and with `action` (each filter when given), oldest first. */
export async function filteredEntries(
  pool: Pool,
  filter: { readonly project: string | null; readonly stack: string | null; readonly action: string | null },
  limit: number,
): Promise<{ readonly entry: unknown; readonly hash: string }[]> {
  const rows = await pool.query<{ entry: unknown; hash: string }>(
    `select entry, hash from (
       select seq, entry, hash from ${TABLE}
       where ($1::text is null or split_part(entry->>'stack', '.', 1) = $1) and ($2::text is null or entry->>'stack' = $2) and ($3::text is null or entry->>'action' = $3)
       order by seq desc limit $4
     ) newest order by seq`,
    [filter.project, filter.stack, filter.action, limit],
  );
  return rows.rows;
}

/** A link of the chain: the entry's exact text, its stored links, and the hash of the entry before it in the whole chain. */
export interface ChainLink {
  readonly entry: string;
  readonly prev_hash: string;
  readonly hash: string;
  readonly before: string | null;
}

/** The chain in order, or only the entries of `projects`' stacks (each with the hash before it in the whole chain). */
export async function chainLinks(pool: Pool, projects: readonly string[] | null): Promise<ChainLink[]> {
  const rows = await pool.query<ChainLink>(
    `select entry, prev_hash, hash, before from (
       select seq, entry::text as entry, entry->>'stack' as stack, prev_hash, hash, lag(hash) over (order by seq) as before from ${TABLE}
     ) chain where $1::text[] is null or split_part(stack, '.', 1) = any($1::text[]) order by seq`,
    [projects ? [...projects] : null],
  );
  return rows.rows;
}
