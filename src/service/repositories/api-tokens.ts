import type { Pool } from "pg";
import { inLockedTransaction } from "../locked-transaction";
import { SERVICE_SCHEMA } from "../migrations";
import type { TokenScope } from "../token-scopes";

/** The `api_tokens` table: a token's id, the hash of its secret, its projects and scope, and when it was used or revoked. */

const TABLE = `${SERVICE_SCHEMA}.api_tokens`;

/** A token's row, without its secret's hash. */
export interface TokenRow {
  readonly id: string;
  readonly name: string;
  readonly projects: string[];
  readonly scope: TokenScope;
  readonly created_at: Date;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
}

/**
 * Records a new token, unless a live token sharing one of its projects (`*` shares every one) has its name: then
 * returns that token's id. Creations take turns under an advisory lock, so two at once cannot both take a name.
 */
export async function insertToken(
  pool: Pool,
  token: { readonly id: string; readonly name: string; readonly secretHashHex: string; readonly projects: readonly string[]; readonly scope: TokenScope },
): Promise<{ readonly createdAt: Date } | { readonly nameTakenBy: string }> {
  return inLockedTransaction(pool, `${TABLE}.name`, async (client) => {
    const taken = await client.query<{ id: string }>(
      `select id from ${TABLE} where name = $1 and revoked_at is null and (projects && $2::text[] or '*' = any(projects) or '*' = any($2::text[])) limit 1`,
      [token.name, [...token.projects]],
    );
    if (taken.rows[0]) return { nameTakenBy: taken.rows[0].id };
    const rows = await client.query<{ created_at: Date }>(`insert into ${TABLE} (id, name, secret_hash, projects, scope) values ($1, $2, $3, $4, $5) returning created_at`, [
      token.id,
      token.name,
      token.secretHashHex,
      [...token.projects],
      token.scope,
    ]);
    const created = rows.rows[0];
    if (!created) throw new Error("the database recorded no token");
    return { createdAt: created.created_at };
  });
}

/** Every token, newest first. */
export async function allTokens(pool: Pool): Promise<TokenRow[]> {
  const rows = await pool.query<TokenRow>(`select id, name, projects, scope, created_at, last_used_at, revoked_at from ${TABLE} order by created_at desc, id`);
  return rows.rows;
}

/** Revokes a live token; true when it existed and was live. */
export async function revokeTokenRow(pool: Pool, id: string): Promise<boolean> {
  const result = await pool.query(`update ${TABLE} set revoked_at = now() where id = $1 and revoked_at is null`, [id]);
  return (result.rowCount ?? 0) > 0;
}

/** A live token's secret hash (hex), name, projects and scope, or null. */
export async function liveToken(pool: Pool, id: string): Promise<{ readonly secret_hash: string; readonly name: string; readonly projects: string[]; readonly scope: TokenScope } | null> {
  const rows = await pool.query<{ secret_hash: string; name: string; projects: string[]; scope: TokenScope }>(
    `select secret_hash, name, projects, scope from ${TABLE} where id = $1 and revoked_at is null`,
    [id],
  );
  return rows.rows[0] ?? null;
}

/** Notes a token's use, at most once a minute: a busy token would otherwise queue every request behind a write to one row. */
export async function touchToken(pool: Pool, id: string): Promise<void> {
  await pool.query(`update ${TABLE} set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`, [id]);
}

/** The names of the tokens `ids` (revoked ones too), by id; an unknown id is absent. */
export async function namesOf(pool: Pool, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await pool.query<{ id: string; name: string }>(`select id, name from ${TABLE} where id = any($1::text[])`, [[...ids]]);
  return new Map(rows.rows.map((row) => [row.id, row.name]));
}

/** Whether token `id` exists and is not revoked. */
export async function tokenIsLive(pool: Pool, id: string): Promise<boolean> {
  const rows = await pool.query(`select 1 from ${TABLE} where id = $1 and revoked_at is null`, [id]);
  return (rows.rowCount ?? 0) > 0;
}
