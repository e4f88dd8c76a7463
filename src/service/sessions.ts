import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Pool } from "pg";
import { failure, type FailureResult } from "../outcome";
import { touchToken } from "./repositories/api-tokens";
import { deleteSession, insertSession, liveSession } from "./repositories/sessions";
import type { TokenPrincipal } from "./tokens";

/**
 * Dashboard sessions: an API token exchanged for an opaque session id held in an `HttpOnly`, `SameSite=Strict`
 * cookie. The database keeps only the id's SHA-256; the session acts as its token (same principal, scopes, rate limit
 * and audit actor) until it expires, is signed out, or its token is revoked. A request the cookie authenticates that
 * changes anything must carry the session's CSRF token in `X-CSRF-Token`.
 */

/** The cookie holding the session id. */
export const SESSION_COOKIE = "dp_session";

/** The header a cookie-authenticated request that changes anything carries the session's CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** How long a session lasts when the service names no other length: 12 hours. */
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

/** A session id: 256 random bits, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Methods that change nothing, which a cookie-authenticated request may send without the CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A live session, as a request authenticated by its cookie sees it. */
export interface LiveSession {
  /** The token the session acts as. */
  readonly principal: TokenPrincipal;
  /** The value `X-CSRF-Token` must carry. */
  readonly csrfToken: string;
  readonly expiresAt: Date;
  /** The session id from the cookie (never stored or logged). */
  readonly id: string;
}

/** The session a request's cookie authenticated, for the session routes. */
const REQUEST_SESSIONS = new WeakMap<FastifyRequest, LiveSession>();

function idHash(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

/**
 * The CSRF token of session `id`: a keyed hash of the id, so it needs no storage and only the holder of the cookie
 * can know it; the stored hash of the id does not give it away.
 */
function csrfTokenOf(id: string): string {
  return createHmac("sha256", id).update("deployment-planner csrf").digest("base64url");
}

/** Starts a session acting as `principal` (a verified token) for `ttlSeconds`. */
export async function startSession(pool: Pool, principal: TokenPrincipal, ttlSeconds: number): Promise<LiveSession> {
  const id = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await insertSession(pool, { idHashHex: idHash(id), tokenId: principal.id, expiresAt });
  return { principal, csrfToken: csrfTokenOf(id), expiresAt, id };
}

/** The session id in a `Cookie` header, when it holds one of the right form; otherwise null. */
export function sessionIdFrom(cookieHeader: string | undefined): string | null {
  if (typeof cookieHeader !== "string" || cookieHeader.length > 8192) return null;
  for (const pair of cookieHeader.split(";")) {
    const separator = pair.indexOf("=");
    if (separator < 0 || pair.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(separator + 1).trim();
    if (SESSION_ID.test(value)) return value;
  }
  return null;
}

/**
 * The live session a request's cookie names, or null (no cookie, an unknown, expired or signed-out session, a
 * revoked token). The answer is kept with the request for `requestSession`.
 */
export async function authenticateSession(pool: Pool, request: FastifyRequest): Promise<LiveSession | null> {
  const id = sessionIdFrom(request.headers.cookie);
  if (id === null) return null;
  const row = await liveSession(pool, idHash(id));
  if (!row) return null;
  await touchToken(pool, row.token_id);
  const session: LiveSession = {
    principal: { id: row.token_id, name: row.name, projects: row.projects, scope: row.scope },
    csrfToken: csrfTokenOf(id),
    expiresAt: row.expires_at,
    id,
  };
  REQUEST_SESSIONS.set(request, session);
  return session;
}

/** The session that authenticated `request`, or null when it came with a bearer token or nothing valid. */
export function requestSession(request: FastifyRequest): LiveSession | null {
  return REQUEST_SESSIONS.get(request) ?? null;
}

/** Ends session `session` (signing out). */
export async function endSession(pool: Pool, session: LiveSession): Promise<void> {
  await deleteSession(pool, idHash(session.id));
}

/** The CSRF refusal when a request carries no `X-CSRF-Token`. */
const CSRF_MISSING = failure(
  "access",
  "CSRF token missing: a request signed in with the session cookie that changes anything must carry the X-CSRF-Token header",
  "Send the csrf_token from POST /v1/sessions (or GET /v1/sessions/current) in the X-CSRF-Token header, or use 'Authorization: Bearer <token>'.",
);

/** The CSRF refusal when `X-CSRF-Token` is not the session's. */
const CSRF_WRONG = failure(
  "access",
  "CSRF token wrong: the X-CSRF-Token header does not match this session's",
  "Send the csrf_token of the current session (GET /v1/sessions/current) in the X-CSRF-Token header.",
);

/**
 * Why a request carrying a session cookie may not go on, or null: one that changes anything (any method but GET,
 * HEAD, OPTIONS) and has no `Authorization` header (which alone would judge it) must carry the CSRF token of the
 * session its cookie names, compared in constant time. A browser sends the cookie with a form another site posts, but
 * no other site can read the token, so a forged form never reaches a route. The token follows from the cookie itself,
 * so the check needs no database: it holds even when the session lookup failed. Signing in as JSON is the one
 * exception: it acts as no session, and a form cannot send JSON.
 */
export function crossSiteRefusal(request: FastifyRequest): FailureResult | null {
  if (SAFE_METHODS.has(request.method) || request.headers.authorization !== undefined) return null;
  const id = sessionIdFrom(request.headers.cookie);
  if (id === null) return null;
  const contentType = String(request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (request.method === "POST" && request.routeOptions.url === "/v1/sessions" && contentType === "application/json") return null;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== "string" || sent.length === 0) return CSRF_MISSING;
  const expected = Buffer.from(csrfTokenOf(id));
  const given = Buffer.from(sent);
  // Every CSRF token has the same length, so only a same-length guess is compared, and in constant time.
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  return same ? null : CSRF_WRONG;
}

/**
 * The `Set-Cookie` value carrying session `id` for `maxAgeSeconds` (0 clears it): `HttpOnly` (no script reads it),
 * `SameSite=Strict` (no other site's page sends it), `Secure` when the request came over TLS.
 */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

/** The session as the API answers it: the principal, the CSRF token and when the session expires. */
export function sessionBody(session: LiveSession) {
  const { id, name, scope, projects } = session.principal;
  return { principal: { id, name, scope, projects: [...projects] }, csrf_token: session.csrfToken, expires_at: session.expiresAt.toISOString() };
}
