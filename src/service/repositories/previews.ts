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
       deployment_id = $9, ttl_hours = $10, updated_at = now()`,
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
 * Moves the preview whose newest deployment is `deploymentId` to `state` (with its URL once live); an older
 * deployment's progress changes nothing. The last update is when it was queued, not when it changed state.
 */
export async function setPreviewState(pool: Pool, deploymentId: string, state: PreviewState, url: string | null = null): Promise<PreviewRecord | null> {
  const rows = await pool.query<PreviewRow>(`update ${TABLE} set state = $2, url = coalesce($3, url) where deployment_id = $1 returning *`, [deploymentId, state, url]);
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/**
 * Marks an active preview as being destroyed by `deploymentId`; false when it is not active (already destroyed or
 * being destroyed), so one destroy is queued whoever asks first (a closed event, the cap, the sweeper).
 */
export async function claimPreviewDestroy(pool: Pool, stack: string, deploymentId: string): Promise<boolean> {
  const rows = await pool.query(`update ${TABLE} set state = 'destroying', deployment_id = $2 where stack = $1 and state = any($3::text[]) returning stack`, [stack, deploymentId, ACTIVE_PREVIEW_STATES]);
  return rows.rows.length > 0;
}

/** Active previews of `projectId` beyond the newest `keep`, least recently updated first. */
export async function previewsBeyondCap(pool: Pool, projectId: string, keep: number): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(
    `select * from ${TABLE} where project_id = $1 and state = any($2::text[]) order by updated_at desc, stack offset $3`,
    [projectId, ACTIVE_PREVIEW_STATES, keep],
  );
  return rows.rows.map(record).reverse();
}

/** Active previews whose time to live (`ttl_hours`, else `defaultTtlHours`) has passed since their last update. */
export async function expiredPreviews(pool: Pool, defaultTtlHours: number): Promise<PreviewRecord[]> {
  const rows = await pool.query<PreviewRow>(
    `select * from ${TABLE} where state = any($1::text[]) and updated_at + coalesce(ttl_hours, $2) * interval '1 hour' <= now() order by updated_at`,
    [ACTIVE_PREVIEW_STATES, defaultTtlHours],
  );
  return rows.rows.map(record);
}
