import type { Pool } from "pg";
import { SERVICE_SCHEMA } from "../migrations";

/**
 * The `previews` table: one row per pull-request preview stack, the pull request and head commit it serves, its state
 * as the pull request shows it and when it was last updated. Every statement on it lives here.
 */

const TABLE = `${SERVICE_SCHEMA}.previews`;

/** Where a preview stands, as its pull request shows it. */
export type PreviewState = "queued" | "deploying" | "live" | "failed" | "destroying" | "destroyed";

/** States of a preview that holds (or is about to hold) resources: what the cap and the time to live count. */
export const ACTIVE_PREVIEW_STATES: readonly PreviewState[] = ["queued", "deploying", "live", "failed"];

/** One preview as recorded. */
export interface PreviewRecord {
  readonly stack: string;
  readonly project_id: string;
  readonly environment: string;
  /** The hook it came from: `github`, or a generic hook's name. */
  readonly source: string;
  /** The base repository (`owner/name`). */
  readonly repository: string;
  readonly number: number;
  readonly head_sha: string;
  readonly fork: boolean;
  readonly state: PreviewState;
  readonly url: string | null;
  /** The newest deployment (deploy or destroy) of the preview: only its progress changes the state. */
  readonly deployment_id: string | null;
  /** Hours after its last update when it is swept; null: the preview tier's default. */
  readonly ttl_hours: number | null;
  /** Why it failed (its deploy or its destroy), while it is `failed`; else null. */
  readonly failure: string | null;
  /** Destroys queued since its last commit was queued (a failed one is retried while this is below the bound). */
  readonly destroy_attempts: number;
  readonly created_at: string;
  readonly updated_at: string;
}

interface PreviewRow extends Omit<PreviewRecord, "created_at" | "updated_at"> {
  created_at: Date;
  updated_at: Date;
}

const record = (row: PreviewRow): PreviewRecord => ({ ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() });

/** A preview deployment just queued. */
export interface QueuedPreview {
  readonly stack: string;
  readonly projectId: string;
  readonly environment: string;
  readonly source: string;
  readonly repository: string;
  readonly number: number;
  readonly headSha: string;
  readonly fork: boolean;
  readonly deploymentId: string;
  readonly ttlHours: number | null;
}

/** Records that `preview`'s head commit is queued: its state `queued`, its last update now. */
export async function recordQueuedPreview(pool: Pool, preview: QueuedPreview): Promise<void> {
  await pool.query(
    `insert into ${TABLE} (stack, project_id, environment, source, repository, number, head_sha, fork, state, deployment_id, ttl_hours)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10)
     on conflict (stack) do update set source = $4, repository = $5, number = $6, head_sha = $7, fork = $8, state = 'queued',
       deployment_id = $9, ttl_hours = $10, updated_at = now(), failure = null, destroy_attempts = 0`,
    [preview.stack, preview.projectId, preview.environment, preview.source, preview.repository, preview.number, preview.headSha, preview.fork, preview.deploymentId, preview.ttlHours],
  );
}

/** The preview of `stack`, or null. */
export async function previewByStack(pool: Pool, stack: string): Promise<PreviewRecord | null> {
  const rows = await pool.query<PreviewRow>(`select * from ${TABLE} where stack = $1`, [stack]);
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/** The preview whose newest deployment is `deploymentId`, or null (not a preview's, or superseded since). */
export async function previewByDeployment(pool: Pool, deploymentId: string): Promise<PreviewRecord | null> {
  const rows = await pool.query<PreviewRow>(`select * from ${TABLE} where deployment_id = $1`, [deploymentId]);
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/**
 * Moves the preview whose newest deployment is `deploymentId` to `state` (with its URL once live, and why once
 * failed); an older deployment's progress changes nothing. The last update is when it was queued, not when it
 * changed state.
 */
export async function setPreviewState(pool: Pool, deploymentId: string, state: PreviewState, url: string | null = null, failure: string | null = null): Promise<PreviewRecord | null> {
  const rows = await pool.query<PreviewRow>(
    `update ${TABLE} set state = $2, url = coalesce($3, url), failure = case when $2 = 'failed' then $4::text else null end where deployment_id = $1 returning *`,
    [deploymentId, state, url, failure === null ? null : failure.slice(0, FAILURE_MAX_CHARS)],
  );
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/** The longest reason a preview's record keeps. */
const FAILURE_MAX_CHARS = 500;

/**
 * Marks an active preview as being destroyed by `deploymentId` and counts the attempt; false when it is not active
 * (already destroyed or being destroyed), so one destroy is queued whoever asks first (a closed event, the cap, the
 * sweeper).
 */
export async function claimPreviewDestroy(pool: Pool, stack: string, deploymentId: string): Promise<boolean> {
  const rows = await pool.query(
    `update ${TABLE} set state = 'destroying', deployment_id = $2, failure = null, destroy_attempts = destroy_attempts + 1
     where stack = $1 and state = any($3::text[]) returning stack`,
    [stack, deploymentId, ACTIVE_PREVIEW_STATES],
  );
  return rows.rows.length > 0;
}

/**
 * Marks the preview `stack` destroyed, as its own destroy would, when it still stands where it was read (the same
 * newest deployment and state): a preview whose stack was removed outside the service (`gc`, a person). Null when it
 * moved on meanwhile (a new commit was queued, a destroy claimed it).
 */
export async function markPreviewGone(pool: Pool, preview: PreviewRecord): Promise<PreviewRecord | null> {
  const rows = await pool.query<PreviewRow>(
    `update ${TABLE} set state = 'destroyed', failure = null where stack = $1 and state = $2 and deployment_id is not distinct from $3 returning *`,
    [preview.stack, preview.state, preview.deployment_id],
  );
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/** Live previews, and failed ones whose destroy failed: those that should have a stack, for the sweeper to check. */
export async function previewsHoldingStacks(pool: Pool): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(`select * from ${TABLE} where state = 'live' or (state = 'failed' and destroy_attempts > 0) order by stack`);
  return rows.rows.map(record);
}

/** Failed previews whose destroy failed fewer than `maxAttempts` times: the sweeper tries each again. */
export async function failedDestroysToRetry(pool: Pool, maxAttempts: number): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(`select * from ${TABLE} where state = 'failed' and destroy_attempts between 1 and $1::int - 1 order by updated_at`, [maxAttempts]);
  return rows.rows.map(record);
}

/**
 * Previews left `destroying` by a destroy deployment that ended more than `settledSeconds` ago (its worker stopped
 * before the preview was told; a worker tells it at once): each with how the deployment ended and its reason.
 */
export async function endedDestroys(pool: Pool, settledSeconds: number): Promise<{ readonly preview: PreviewRecord; readonly succeeded: boolean; readonly reason: string | null }[]> {
  const rows = await pool.query<PreviewRow & { deployment_status: string; deployment_reason: string | null }>(
    `select p.*, d.status as deployment_status, d.result ->> 'reason' as deployment_reason from ${TABLE} p
     join ${SERVICE_SCHEMA}.deployments d on d.id = p.deployment_id
     where p.state = 'destroying' and d.status in ('succeeded', 'failed', 'superseded') and d.finished_at < now() - $1::int * interval '1 second'
     order by p.stack`,
    [settledSeconds],
  );
  return rows.rows.map(({ deployment_status, deployment_reason, ...row }) => ({ preview: record(row), succeeded: deployment_status === "succeeded", reason: deployment_reason }));
}

/** Active previews of `projectId` beyond the newest `keep`, least recently updated first. */
export async function previewsBeyondCap(pool: Pool, projectId: string, keep: number): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(
    `select * from ${TABLE} where project_id = $1 and state = any($2::text[]) order by updated_at desc, stack offset $3`,
    [projectId, ACTIVE_PREVIEW_STATES, keep],
  );
  return rows.rows.map(record).reverse();
}

/**
 * Active previews whose time to live (`ttl_hours`, else `defaultTtlHours`) has passed since their last update, but
 * not one whose destroy failed `maxDestroyAttempts` times already (it stays failed, for a person to look at).
 */
export async function expiredPreviews(pool: Pool, defaultTtlHours: number, maxDestroyAttempts: number): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(
    `select * from ${TABLE} where state = any($1::text[]) and updated_at + coalesce(ttl_hours, $2) * interval '1 hour' <= now() and destroy_attempts < $3
     order by updated_at`,
    [ACTIVE_PREVIEW_STATES, defaultTtlHours, maxDestroyAttempts],
  );
  return rows.rows.map(record);
}
