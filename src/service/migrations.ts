import type { Pool } from "pg";
import { inLockedTransaction } from "./locked-transaction";

/** The table Pulumi's state lives in when the service keeps it in its database. */
export const PULUMI_STATE_TABLE = "deployment_planner_pulumi_state";

/** The schema every table of the service lives in, apart from anything else in the database. */
export const SERVICE_SCHEMA = "deployment_planner";

/** Schema changes in order; an applied one never changes, a new one is appended. */
const MIGRATIONS: readonly string[] = [
  `create table ${SERVICE_SCHEMA}.api_tokens (
     id text primary key,
     secret_hash text not null,
     projects text[] not null,
     scope text not null check (scope in ('read', 'deploy', 'admin')),
     created_at timestamptz not null default now(),
     last_used_at timestamptz,
     revoked_at timestamptz
   )`,
  `create table ${SERVICE_SCHEMA}.deployments (
     id uuid primary key,
     token_id text not null,
     idempotency_key text,
     project_id text not null,
     stack text not null,
     request jsonb not null,
     status text not null check (status in ('queued', 'running', 'succeeded', 'failed')),
     result jsonb,
     attempts integer not null default 0,
     created_at timestamptz not null default now(),
     started_at timestamptz,
     finished_at timestamptz,
     unique (token_id, idempotency_key)
   )`,
  `create table ${SERVICE_SCHEMA}.deployment_events (
     seq bigserial primary key,
     deployment_id uuid not null references ${SERVICE_SCHEMA}.deployments (id) on delete cascade,
     at timestamptz not null default now(),
     line text not null
   )`,
  // Which operation a queued job runs (a deployment request, or a rollback, promotion or destroy of a stack), its
  // arguments, and the masked engine log its run left (bounded), so any API process can serve it.
  `alter table ${SERVICE_SCHEMA}.deployments
     add column operation text not null default 'deploy' check (operation in ('deploy', 'rollback', 'promote', 'destroy')),
     add column engine_log text,
     add column worker text`,
  `create index deployments_stack_created on ${SERVICE_SCHEMA}.deployments (stack, created_at)`,
  // Webhooks received: one row per (source, delivery id), so a replayed delivery is refused.
  `create table ${SERVICE_SCHEMA}.hook_deliveries (
     source text not null,
     delivery_id text not null,
     received_at timestamptz not null default now(),
     deployment_id uuid references ${SERVICE_SCHEMA}.deployments (id) on delete set null,
     outcome text not null,
     primary key (source, delivery_id)
   )`,
  // Webhooks sent: every attempt to deliver an event to a subscriber, with its answer.
  `create table ${SERVICE_SCHEMA}.notification_deliveries (
     id bigserial primary key,
     event_id uuid not null,
     deployment_id uuid references ${SERVICE_SCHEMA}.deployments (id) on delete cascade,
     event text not null,
     url text not null,
     attempt integer not null,
     status_code integer,
     error text,
     delivered boolean not null,
     at timestamptz not null default now()
   )`,
  // The audit trail of every machine's operations, chained by hash in insertion order (see service/audit.ts); json,
  // not jsonb, so an entry keeps the exact text its hash was computed over.
  `create table ${SERVICE_SCHEMA}.audit_entries (
     seq bigserial primary key,
     entry json not null,
     prev_hash text not null,
     hash text not null unique
   )`,
  `create index audit_entries_stack on ${SERVICE_SCHEMA}.audit_entries ((entry->>'stack'), seq)`,
  // A GitHub push is one push whatever delivery id carries it: repository, ref and head commit are unique, so the same
  // signed body sent again under a new X-GitHub-Delivery queues nothing, on any API process.
  `alter table ${SERVICE_SCHEMA}.hook_deliveries add column push_key text`,
  `create unique index hook_deliveries_push_key on ${SERVICE_SCHEMA}.hook_deliveries (push_key) where push_key is not null`,
  // A deployment's source is packaged when it is accepted: the bundle's bytes live here, once per digest, where every
  // worker reads them, and the deployment keeps the spec it was planned into and the digest of its bundle.
  `create table ${SERVICE_SCHEMA}.bundles (
     digest text primary key,
     archive bytea not null,
     bytes bigint not null,
     created_at timestamptz not null default now(),
     last_used_at timestamptz not null default now()
   )`,
  `alter table ${SERVICE_SCHEMA}.deployments add column planned jsonb, add column bundle_digest text`,
  `create index deployments_open_bundle on ${SERVICE_SCHEMA}.deployments (bundle_digest) where status in ('queued', 'running')`,
  // Every token has a person's name for it (records, audit entries and notifications name it beside the id); tokens
  // made before names existed are named after their id.
  `alter table ${SERVICE_SCHEMA}.api_tokens add column name text`,
  `update ${SERVICE_SCHEMA}.api_tokens set name = 'token-' || id where name is null`,
  `alter table ${SERVICE_SCHEMA}.api_tokens alter column name set not null, add constraint api_tokens_name check (name ~ '^[a-z0-9._-]{1,64}$')`,
  // Dashboard sign-ins: the SHA-256 of each session's id (the cookie's value is never stored), the token it acts
  // as (its sessions go with it) and when it expires.
  `create table ${SERVICE_SCHEMA}.sessions (
     id_hash text primary key,
     token_id text not null references ${SERVICE_SCHEMA}.api_tokens (id) on delete cascade,
     created_at timestamptz not null default now(),
     expires_at timestamptz not null
   );
   create index sessions_token on ${SERVICE_SCHEMA}.sessions (token_id)`,
  // Pull-request previews: one row per preview stack, with the pull request and head commit it serves, its state as
  // the pull request shows it, and when it was last updated (its time to live counts from then).
  `create table ${SERVICE_SCHEMA}.previews (
     stack text primary key,
     project_id text not null,
     environment text not null,
     source text not null,
     repository text not null,
     number integer not null,
     head_sha text not null,
     fork boolean not null,
     state text not null check (state in ('queued', 'deploying', 'live', 'failed', 'destroying', 'destroyed')),
     url text,
     deployment_id uuid,
     ttl_hours integer,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now()
   );
   create index previews_project_updated on ${SERVICE_SCHEMA}.previews (project_id, updated_at)`,
  // A queued deployment of a preview that a newer commit replaced before it started is superseded: never run.
  `alter table ${SERVICE_SCHEMA}.deployments drop constraint deployments_status_check,
     add constraint deployments_status_check check (status in ('queued', 'running', 'succeeded', 'failed', 'superseded'))`,
  // A preview that failed says why, and counts the destroys tried since its last commit was queued (the sweeper
  // retries a failed destroy a bounded number of times).
  `alter table ${SERVICE_SCHEMA}.previews add column failure text, add column destroy_attempts integer not null default 0`,
];

/**
 * Brings the service's schema up to date. Every API and worker process runs this at start; a transaction-scoped
 * advisory lock makes them take turns, so each migration runs once.
 */
export async function migrate(pool: Pool): Promise<void> {
  await inLockedTransaction(pool, `${SERVICE_SCHEMA}.migrate`, async (client) => {
    await client.query(`create schema if not exists ${SERVICE_SCHEMA}`);
    await client.query(`create table if not exists ${SERVICE_SCHEMA}.schema_migrations (version integer primary key, applied_at timestamptz not null default now())`);
    const applied = new Set((await client.query<{ version: number }>(`select version from ${SERVICE_SCHEMA}.schema_migrations`)).rows.map((r) => r.version));
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (applied.has(index + 1)) continue;
      await client.query(sql);
      await client.query(`insert into ${SERVICE_SCHEMA}.schema_migrations (version) values ($1)`, [index + 1]);
    }
    // Pulumi's PostgreSQL backend creates its table on first use; two engines doing so at once race (one fails on
    // PostgreSQL's catalog). Created here first, under the lock, with the same shape and names (and unqualified, so
    // it lands where the engine's own connection looks), the engine's statements find it and do nothing.
    await client.query(
      `create table if not exists ${PULUMI_STATE_TABLE} (key text primary key, data json not null, updated_at timestamptz not null default now())`,
    );
    await client.query(`create index if not exists ${PULUMI_STATE_TABLE}_key_prefix_idx on ${PULUMI_STATE_TABLE} (key text_pattern_ops)`);
  });
}
