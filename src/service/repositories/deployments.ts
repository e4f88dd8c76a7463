import type { Pool } from "pg";
import type { DeploymentRecord } from "../deployment-record";
import { SERVICE_SCHEMA } from "../migrations";
import { servicePrincipal, type QueuedOperation } from "../stack-operations";

/**
 * The `deployments` table: every statement on it lives here, so its columns, states and indexes have one reader and
 * one writer to keep in step.
 */

interface DeploymentRow {
  id: string;
  project_id: string;
  stack: string;
  operation: QueuedOperation;
  status: DeploymentRecord["status"];
  result: Record<string, unknown> | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  token_id: string;
  token_name: string | null;
  deployer: string | null;
  /** Selected only where one deployment is read: the request a `deploy` was submitted with. */
  submitted_request?: Record<string, unknown> | null;
}

const TABLE = `${SERVICE_SCHEMA}.deployments`;
const COLUMNS = `id, project_id, stack, operation, status, result, attempts, created_at, started_at, finished_at, token_id,
  (select t.name from ${SERVICE_SCHEMA}.api_tokens t where t.id = token_id) as token_name, request->>'deployer_id' as deployer`;

function record(row: DeploymentRow): DeploymentRecord {
  return {
    id: row.id,
    project_id: row.project_id,
    stack: row.stack,
    operation: row.operation,
    status: row.status,
    result: row.result,
    attempts: row.attempts,
    created_at: row.created_at.toISOString(),
    started_at: row.started_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
    requested_by: servicePrincipal(row.token_id),
    requested_by_name: row.token_name ?? (row.token_id.startsWith("hook:") ? row.token_id.slice("hook:".length) : null),
    deployer: row.deployer,
    ...(row.submitted_request !== undefined ? { request: row.submitted_request } : {}),
  };
}

/** A new deployment to record, queued. */
export interface NewDeployment {
  readonly id: string;
  readonly tokenId: string;
  readonly idempotencyKey: string | null;
  readonly projectId: string;
  readonly stack: string;
  readonly request: unknown;
  readonly operation: QueuedOperation;
  /** A deployment's spec and warnings as planned when it was accepted; null for other operations and redeploys. */
  readonly planned: unknown;
  /** The digest of the stored bundle it deploys; null when it deploys none. */
  readonly bundleDigest: string | null;
}

/**
 * Records a queued deployment, or returns the one the same token already recorded under the same idempotency key
 * (`created` false).
 */
export async function insertDeployment(pool: Pool, deployment: NewDeployment): Promise<{ readonly deployment: DeploymentRecord; readonly created: boolean }> {
  const inserted = await pool.query<DeploymentRow>(
    `insert into ${TABLE} (id, token_id, idempotency_key, project_id, stack, request, status, operation, planned, bundle_digest)
     values ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9)
     on conflict (token_id, idempotency_key) do nothing
     returning ${COLUMNS}`,
    [
      deployment.id,
      deployment.tokenId,
      deployment.idempotencyKey,
      deployment.projectId,
      deployment.stack,
      JSON.stringify(deployment.request),
      deployment.operation,
      deployment.planned === null ? null : JSON.stringify(deployment.planned),
      deployment.bundleDigest,
    ],
  );
  if (inserted.rows[0]) return { deployment: record(inserted.rows[0]), created: true };
  const existing = await pool.query<DeploymentRow>(`select ${COLUMNS} from ${TABLE} where token_id = $1 and idempotency_key = $2`, [deployment.tokenId, deployment.idempotencyKey]);
  if (!existing.rows[0]) throw new Error("a deployment's idempotency key conflicted with a record that is gone");
  return { deployment: record(existing.rows[0]), created: false };
}

/** One deployment, or null. */
export async function deploymentById(pool: Pool, id: string): Promise<DeploymentRecord | null> {
  // A deploy's request is what a person starts the next one from; other operations keep their arguments to themselves.
  const rows = await pool.query<DeploymentRow>(
    `select ${COLUMNS}, case when operation = 'deploy' and jsonb_typeof(request) = 'object' then request end as submitted_request from ${TABLE} where id = $1`,
    [id],
  );
  return rows.rows[0] ? record(rows.rows[0]) : null;
}

/** The masked engine log a deployment's run left, or null while it has none. */
export async function engineLogById(pool: Pool, id: string): Promise<string | null> {
  const rows = await pool.query<{ engine_log: string | null }>(`select engine_log from ${TABLE} where id = $1`, [id]);
  return rows.rows[0]?.engine_log ?? null;
}

/** Where a deployment stands for a worker about to run it: its status, stack and the worker that last claimed it. */
export async function runState(pool: Pool, id: string): Promise<{ readonly worker: string | null; readonly status: string; readonly stack: string } | null> {
  const rows = await pool.query<{ worker: string | null; status: string; stack: string }>(`select worker, status, stack from ${TABLE} where id = $1`, [id]);
  return rows.rows[0] ?? null;
}

/** A deployment a worker claimed: what to run, for whom, and which attempt this is. */
export interface ClaimedDeployment {
  readonly request: unknown;
  readonly operation: QueuedOperation;
  readonly token_id: string;
  readonly attempts: number;
  /** The spec and warnings planned when it was accepted (null: a stack operation, a redeploy, or one accepted before plans were kept). */
  readonly planned: { readonly spec: unknown; readonly warnings: readonly string[] } | null;
  readonly bundle_digest: string | null;
}

/** Marks a queued (or abandoned running) deployment as run by `worker`, counting the attempt; null when it finished meanwhile. */
export async function claimDeployment(pool: Pool, id: string, worker: string): Promise<ClaimedDeployment | null> {
  const claimed = await pool.query<ClaimedDeployment>(
    `update ${TABLE} set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), worker = $2
     where id = $1 and status in ('queued', 'running') returning request, operation, token_id, attempts, planned, bundle_digest`,
    [id, worker],
  );
  return claimed.rows[0] ?? null;
}

/** Puts a deployment back in the queue after a transient failure, keeping the engine log of the attempt. */
export async function requeueDeployment(pool: Pool, id: string, engineLog: string | null): Promise<void> {
  await pool.query(`update ${TABLE} set status = 'queued', engine_log = $2 where id = $1`, [id, engineLog]);
}

/** Records a deployment's end: its outcome, its result (the success or failure result, as JSON text) and its engine log. */
export async function finishDeployment(pool: Pool, id: string, outcome: { readonly status: "succeeded" | "failed"; readonly resultJson: string; readonly engineLog: string | null }): Promise<void> {
  await pool.query(`update ${TABLE} set status = $2, result = $3, engine_log = $4, finished_at = now() where id = $1`, [id, outcome.status, outcome.resultJson, outcome.engineLog]);
}

/**
 * Marks the queued deployments of `stack` that no worker has started as superseded by `by` (they never run), with a
 * result saying so; their ids. A deployment a worker claimed meanwhile is left to finish.
 */
export async function supersedeQueued(pool: Pool, stack: string, by: string): Promise<string[]> {
  const result = JSON.stringify({ status: "superseded", reason: `superseded by deployment ${by} before it started`, superseded_by: by });
  const rows = await pool.query<{ id: string }>(
    `update ${TABLE} set status = 'superseded', result = $3, finished_at = now() where stack = $1 and id <> $2 and status = 'queued' and started_at is null returning id`,
    [stack, by, result],
  );
  return rows.rows.map((row) => row.id);
}

/** Deployments per status, for the metrics. */
export async function countsByStatus(pool: Pool): Promise<Map<string, number>> {
  const rows = await pool.query<{ status: string; n: number }>(`select status, count(*)::int as n from ${TABLE} group by status`);
  return new Map(rows.rows.map((row) => [row.status, row.n]));
}

/** Finished deployments by outcome and failure stage, with their total run time, for the metrics. */
export async function finishedOutcomes(pool: Pool): Promise<{ readonly status: string; readonly stage: string | null; readonly n: number; readonly seconds: number }[]> {
  const rows = await pool.query<{ status: string; stage: string | null; n: number; seconds: number }>(
    `select status, result->>'stage' as stage, count(*)::int as n,
            coalesce(sum(extract(epoch from finished_at - started_at)), 0)::float8 as seconds
     from ${TABLE} where status in ('succeeded', 'failed') group by status, result->>'stage' order by 1, 2`,
  );
  return rows.rows;
}

/** The bundles queued or running deployments will deploy, by digest: what a bundle prune must keep. */
export async function liveBundleDigests(pool: Pool): Promise<string[]> {
  const rows = await pool.query<{ digest: string }>(`select distinct bundle_digest as digest from ${TABLE} where bundle_digest is not null and status in ('queued', 'running')`);
  return rows.rows.map((row) => row.digest);
}

/** Which deployments `recentDeployments` reads: of some projects (null: every one), one project, one stack. */
export interface RecentDeploymentsQuery {
  readonly projects: readonly string[] | null;
  readonly projectId: string | null;
  readonly stack: string | null;
  readonly limit: number;
}

/** The newest deployments (newest first) matching `query`, each with the release name its request or plan named. */
export async function recentDeployments(pool: Pool, query: RecentDeploymentsQuery): Promise<(DeploymentRecord & { readonly version_name: string | null })[]> {
  const rows = await pool.query<DeploymentRow & { version_name: string | null }>(
    `select ${COLUMNS}, coalesce(result->>'version_name', planned->'spec'->>'version_name', request->>'version_name') as version_name
     from ${TABLE}
     where ($1::text[] is null or project_id = any($1::text[])) and ($2::text is null or project_id = $2) and ($3::text is null or stack = $3)
     order by created_at desc, id limit $4`,
    [query.projects ? [...query.projects] : null, query.projectId, query.stack, query.limit],
  );
  return rows.rows.map((row) => ({ ...record(row), version_name: row.version_name }));
}
