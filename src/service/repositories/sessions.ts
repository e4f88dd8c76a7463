import type { Pool } from "pg";
import { SERVICE_SCHEMA } from "../migrations";
import type { TokenScope } from "../token-scopes";

/**
 * The `sessions` table: a dashboard sign-in, kept as the SHA-256 of its id (never the id itself), the token it acts
 * as, and when it expires. A session lives only while its token does.
 */

const TABLE = `${SERVICE_SCHEMA}.sessions`;
const TOKENS = `${SERVICE_SCHEMA}.api_tokens`;

/** A live session's token, as the session acts with it, and when the session expires. */
export interface LiveSessionRow {
  readonly token_id: string;
  readonly name: string;
  readonly projects: string[];
  readonly scope: TokenScope;
  readonly expires_at: Date;
}

/** Records a session of token `tokenId` until `expiresAt` (and drops every session already expired). */
export async function insertSession(pool: Pool, session: { readonly idHashHex: string; readonly tokenId: string; readonly expiresAt: Date }): Promise<void> {
  await pool.query(`delete from ${TABLE} where expires_at <= now()`);
  await pool.query(`insert into ${TABLE} (id_hash, token_id, expires_at) values ($1, $2, $3)`, [session.idHashHex, session.tokenId, session.expiresAt]);
}

/** The session whose id hashes to `idHashHex`, when it has not expired and its token is live; otherwise null. */
export async function liveSession(pool: Pool, idHashHex: string): Promise<LiveSessionRow | null> {
  const rows = await pool.query<LiveSessionRow>(
    `select s.token_id, t.name, t.projects, t.scope, s.expires_at
       from ${TABLE} s join ${TOKENS} t on t.id = s.token_id
      where s.id_hash = $1 and s.expires_at > now() and t.revoked_at is null`,
    [idHashHex],
  );
  return rows.rows[0] ?? null;
}

/** Ends the session whose id hashes to `idHashHex`; true when there was one. */
export async function deleteSession(pool: Pool, idHashHex: string): Promise<boolean> {
  const result = await pool.query(`delete from ${TABLE} where id_hash = $1`, [idHashHex]);
  return (result.rowCount ?? 0) > 0;
}

/** Ends every session of token `tokenId`; how many there were. */
export async function deleteSessionsOfToken(pool: Pool, tokenId: string): Promise<number> {
  const result = await pool.query(`delete from ${TABLE} where token_id = $1`, [tokenId]);
  return result.rowCount ?? 0;
}
