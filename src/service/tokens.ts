import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Pool } from "pg";
import { allTokens, insertToken, liveToken, revokeTokenRow, tokenIsLive, touchToken } from "./repositories/api-tokens";
import { deleteSessionsOfToken } from "./repositories/sessions";
import { TOKEN_SCOPES, type TokenScope } from "./token-scopes";

export { TOKEN_SCOPES, type TokenScope };

/** A token as listed: never its secret, which exists only in the answer to `createToken`. */
export interface ApiTokenInfo {
  readonly id: string;
  /** A person's name for it (`ci-shop`), unique among the live tokens of each of its projects. */
  readonly name: string;
  /** Project ids it may act on; `*` is every project. */
  readonly projects: readonly string[];
  readonly scope: TokenScope;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

/** A new token: its value is shown once; only a hash of its secret part is stored. */
export interface CreatedToken extends ApiTokenInfo {
  readonly token: string;
}

/** The caller a token names, once checked. */
export interface TokenPrincipal {
  readonly id: string;
  readonly name: string;
  readonly projects: readonly string[];
  readonly scope: TokenScope;
}

const TOKEN_PATTERN = /^dp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function secretHash(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** A token's name: 1 to 64 of a-z, 0-9, '.', '_' and '-'. */
export const TOKEN_NAME = /^[a-z0-9._-]{1,64}$/;

/** Thrown by `createToken` for a name that is not one, or that a live token of one of its projects already has. */
export class TokenNameError extends Error {
  override readonly name = "TokenNameError";
}

/**
 * Creates a token named `name` for `projects` with `scope`. Its value (`dp_<id>_<secret>`) is returned once; the
 * database keeps the id and a SHA-256 of the 256-bit random secret, so a stolen table grants nothing. The name must be
 * unique among the live tokens sharing a project with it; without one (programs and tests) it is `token-<id>`, as
 * tokens made before names existed were named.
 */
export async function createToken(pool: Pool, projects: readonly string[], scope: TokenScope, name?: string): Promise<CreatedToken> {
  if (projects.length === 0) throw new Error("a token needs at least one project (or '*')");
  if (name !== undefined && !TOKEN_NAME.test(name)) throw new TokenNameError("a token's name is 1 to 64 of a-z, 0-9, '.', '_' and '-'");
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const tokenName = name ?? `token-${id}`;
  const inserted = await insertToken(pool, { id, name: tokenName, secretHashHex: secretHash(secret).toString("hex"), projects, scope });
  if ("nameTakenBy" in inserted) throw new TokenNameError(`the live token ${inserted.nameTakenBy} of the same project is already named '${tokenName}'`);
  return { id, name: tokenName, token: `dp_${id}_${secret}`, projects: [...projects], scope, created_at: inserted.createdAt.toISOString(), last_used_at: null, revoked_at: null };
}

/** Every token, newest first, without secrets. */
export async function listTokens(pool: Pool): Promise<ApiTokenInfo[]> {
  const rows = await allTokens(pool);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    projects: r.projects,
    scope: r.scope,
    created_at: r.created_at.toISOString(),
    last_used_at: r.last_used_at?.toISOString() ?? null,
    revoked_at: r.revoked_at?.toISOString() ?? null,
  }));
}

/** Revokes a token and ends its dashboard sessions; true when it existed and was live. */
export async function revokeToken(pool: Pool, id: string): Promise<boolean> {
  const revoked = await revokeTokenRow(pool, id);
  // A session lives only while its token does (every request its cookie makes checks that too); its rows go with it.
  await deleteSessionsOfToken(pool, id);
  return revoked;
}

/** The caller a bearer token names, or null for a malformed, unknown, wrong or revoked one (compared in constant time). */
export async function verifyToken(pool: Pool, token: string): Promise<TokenPrincipal | null> {
  const parts = TOKEN_PATTERN.exec(token);
  const id = parts?.[1];
  const secret = parts?.[2];
  if (id === undefined || secret === undefined) return null;
  const row = await liveToken(pool, id);
  // A hash is compared even for an unknown id, so timing does not tell ids apart.
  const expected = row ? Buffer.from(row.secret_hash, "hex") : secretHash("no such token");
  if (!timingSafeEqual(expected, secretHash(secret)) || !row) return null;
  // Recorded at most once a minute: a busy token would otherwise queue every request behind a write to one row.
  await touchToken(pool, id);
  return { id, name: row.name, projects: row.projects, scope: row.scope };
}

/** Whether token `id` exists and is not revoked: what an open stream re-checks while it runs. */
export async function tokenLive(pool: Pool, id: string): Promise<boolean> {
  return tokenIsLive(pool, id);
}

/** Whether a principal may act on `projectId` with at least `needed`. */
export function allows(principal: TokenPrincipal, projectId: string | null, needed: TokenScope): boolean {
  const inScope = TOKEN_SCOPES.indexOf(principal.scope) >= TOKEN_SCOPES.indexOf(needed);
  const inProject = projectId === null ? principal.projects.includes("*") : principal.projects.includes("*") || principal.projects.includes(projectId);
  return inScope && inProject;
}
