import type { Pool } from "pg";
import type { BundleArchive } from "../../packager/archive";
import { SERVICE_SCHEMA } from "../migrations";
import { liveBundleDigests } from "./deployments";

/**
 * The `bundles` table: the archives of accepted deployments' sources, keyed by digest, so identical sources are
 * stored once and a worker on any machine deploys the bytes that were checked when the deployment was accepted.
 */

const TABLE = `${SERVICE_SCHEMA}.bundles`;

/** How long a bundle no queued or running deployment refers to is kept (a repeated source reuses it meanwhile). */
export const BUNDLE_GRACE_MS = 60 * 60 * 1000;
/** The longest any bundle is kept after its last use, even for a deployment that never ran. */
export const BUNDLE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Stores an archive under its digest (once), marking it used now so it outlives a prune running meanwhile. */
export async function storeBundle(pool: Pool, bundle: BundleArchive): Promise<void> {
  await pool.query(
    `insert into ${TABLE} (digest, archive, bytes) values ($1, $2, $3)
     on conflict (digest) do update set last_used_at = now()`,
    [bundle.digest, bundle.archive, bundle.bytes],
  );
}

/** The stored archive of `digest`, or null when none is stored. */
export async function loadBundle(pool: Pool, digest: string): Promise<Buffer | null> {
  const rows = await pool.query<{ archive: Buffer }>(`select archive from ${TABLE} where digest = $1`, [digest]);
  return rows.rows[0]?.archive ?? null;
}

/**
 * Removes the bundles no queued or running deployment refers to, once unused for `graceMs`, and any bundle unused
 * for `retentionMs`; answers how many were removed. A finished deployment's bundle lives on in its worker's artifact
 * store (for rollback), not here.
 */
export async function pruneBundles(pool: Pool, options: { readonly graceMs?: number; readonly retentionMs?: number } = {}): Promise<number> {
  // Read first, then deleted: a deployment accepted meanwhile stored (or touched) its bundle just before, so the
  // grace period keeps it.
  const live = await liveBundleDigests(pool);
  const removed = await pool.query(
    `delete from ${TABLE}
     where last_used_at < now() - make_interval(secs => $2::float8 / 1000)
        or (last_used_at < now() - make_interval(secs => $1::float8 / 1000) and not (digest = any($3::text[])))`,
    [options.graceMs ?? BUNDLE_GRACE_MS, options.retentionMs ?? BUNDLE_RETENTION_MS, live],
  );
  return removed.rowCount ?? 0;
}
