import { realpath } from "node:fs/promises";
import path from "node:path";
import type { PlannerWorkspace } from "../automation/index";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { failure } from "../outcome";
import { forbidden, UNAUTHENTICATED } from "./api-errors";
import { callerText, type CallerText } from "./caller-text";
import type { ServiceConfig } from "./config";
import type { ServiceDatabase } from "./database";
import { grantedSource, refusedSecret, serviceGrants, type ServiceGrants } from "./grants";
import { authenticateSession } from "./sessions";
import type { DeploymentNotifier } from "./deployments";
import type { JobQueue } from "./queue";
import type { ServiceLogOptions } from "./service-log";
import { allows, tokenLive, verifyToken, type TokenPrincipal, type TokenScope } from "./tokens";
import { BadRequest, Forbidden, RateLimited, Unauthenticated } from "./http-errors";

/** Options of the HTTP API. */
export interface ApiOptions {
  readonly database: ServiceDatabase;
  /** Directories a request's `source` may name (symlinks followed); any other source is refused. */
  readonly sourceRoots: readonly string[];
  /** Largest request body in bytes; default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** Requests per token (per client address without one) in each window; default 300 per minute. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** The API's version, in the OpenAPI document. */
  readonly version: string;
  /** The deployment queue; without it the routes that queue work answer 503. */
  readonly queue?: JobQueue;
  /** Webhooks in and out; default none. */
  readonly config?: ServiceConfig;
  /** The workspace whose stacks the stack routes read; without it they answer 503. */
  readonly workspace?: PlannerWorkspace;
  /** Tells subscribers about queued deployments; default nobody. */
  readonly notifier?: DeploymentNotifier;
  /**
   * Whether the client address comes from `X-Forwarded-For` (fastify's `trustProxy`: true, or the
   * proxies' addresses); default false, the socket's own address. Unauthenticated requests are rate-limited by it.
   */
  readonly trustProxy?: boolean | string | string[];
  /** Longest a request may take to arrive, headers and body; default 30 s, so a trickled body cannot hold a request. */
  readonly requestTimeoutMs?: number;
  /** Event streams (deployment events, followed app logs) one token may hold open at once; default 10. */
  readonly maxStreamsPerToken?: number;
  /** How often an open stream checks that its token is still live; default 2 s. */
  readonly streamRecheckMs?: number;
  /** The service log: JSON lines with each request's id, every 5xx with its error and stack; default stderr at `warn`. */
  readonly log?: ServiceLogOptions;
  /** Whether `/` and the screens' paths serve the web dashboard; default true (`serve --no-dashboard` turns it off). */
  readonly dashboard?: boolean;
  /** Where the dashboard's built files are; default `dist/dashboard/public` of this package (`npm run build`). */
  readonly dashboardDir?: string;
  /** How long a dashboard session lasts, in seconds; default 12 hours. */
  readonly sessionTtlSeconds?: number;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: TokenPrincipal;
  }
}

/** What every group of routes shares: the options, the resolved source roots, and the caller checks. */
export interface ApiContext {
  readonly options: ApiOptions;
  /** Open event streams per token id, for the per-token cap. */
  readonly openStreams: Map<string, number>;
  /** The source roots, symlinks resolved. */
  readonly roots: readonly string[];
  /** Where relative sources resolve: the first root (a path that never exists without one). */
  readonly baseDir: string;
  /** The sources and secret references each project's requests may name. */
  readonly grants: ServiceGrants;
  /** What a caller receives, with this machine's paths and file modes replaced by neutral words. */
  readonly callerText: CallerText;
}

/** A group of routes: what it serves (the route list) and how to register it, each route with its declared schema. */
export interface RouteModule {
  /** Each route as `METHOD /path/{param}`. */
  readonly routes: readonly string[];
  register(app: FastifyInstance, context: ApiContext): void;
}

/** The context of an API built with `options`. */
export async function apiContext(options: ApiOptions): Promise<ApiContext> {
  const roots = await Promise.all(options.sourceRoots.map((root) => realpath(root).catch(() => path.resolve(root))));
  const grants = await serviceGrants(options.config?.projects ?? {}, options.sourceRoots);
  const granted = Object.keys(options.config?.projects ?? {}).flatMap((id) => grants.grantFor(id).sources);
  const scrub = callerText({
    sourceRoots: [...roots, ...options.sourceRoots.map((root) => path.resolve(root)), ...granted],
    workspace: options.workspace?.dir,
    configDir: options.config?.baseDir,
  });
  return { options, roots, baseDir: roots[0] ?? "/nonexistent", openStreams: new Map(), grants, callerText: scrub };
}

/** The last event of a stream whose token was revoked while it was open. */
export const REVOKED_EVENT = `event: error\ndata: ${JSON.stringify({ reason: "the token of this stream was revoked" })}\n\n`;

/** An event stream a token holds open: aborted when its token is revoked; `close` must be called when it ends. */
export interface OpenStream {
  readonly signal: AbortSignal;
  close(): void;
}

/**
 * Opens an event stream for `principal`; throws `RateLimited` (429) when the token already holds as many as the
 * service allows. While it is open the token is checked again every few seconds, so revoking a token ends its streams.
 */
export function openStream(context: ApiContext, principal: TokenPrincipal, _reply?: FastifyReply): OpenStream {
  const max = context.options.maxStreamsPerToken ?? 10;
  const open = context.openStreams.get(principal.id) ?? 0;
  if (open >= max) {
    throw new RateLimited(failure("access", `event streams: this token already holds ${max} open`, "Close a stream you no longer follow, then open this one again."));
  }
  context.openStreams.set(principal.id, open + 1);
  const revoked = new AbortController();
  const recheck = setInterval(() => {
    // A database that does not answer leaves the stream as it is; the stream's own reads meet that failure.
    void tokenLive(context.options.database.pool, principal.id).then((live) => live || revoked.abort(), () => undefined);
  }, context.options.streamRecheckMs ?? 2_000);
  let closed = false;
  return {
    signal: revoked.signal,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(recheck);
      const left = (context.openStreams.get(principal.id) ?? 1) - 1;
      if (left > 0) context.openStreams.set(principal.id, left);
      else context.openStreams.delete(principal.id);
    },
  };
}

/**
 * Replies that carry the operator's own detail (an engine log to an admin of its project): sent as they are.
 * Everything else a caller receives is scrubbed of machine paths.
 */
export const UNSCRUBBED = new WeakSet<FastifyReply>();

/** A UUID as the service's ids are written. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Requests whose bearer token was already checked: a request is authenticated once, before any route runs. */
const AUTHENTICATED = new WeakSet<FastifyRequest>();

/** Lets `authenticate` check the request's token again (after the check itself failed). */
export function forgetAuthentication(request: FastifyRequest): void {
  AUTHENTICATED.delete(request);
  request.principal = undefined;
}

/**
 * The caller named by the request's bearer token (or, without one, by its session cookie), or null. The API's first
 * hook calls it for every request, so the rate limit counts the verified caller; a route calling it again gets the
 * same answer without a second check.
 */
export async function authenticate(context: ApiContext, request: FastifyRequest): Promise<TokenPrincipal | null> {
  if (AUTHENTICATED.has(request)) return request.principal ?? null;
  AUTHENTICATED.add(request);
  const header = request.headers.authorization;
  // Without a bearer token, the dashboard's session cookie stands for the token it was signed in with.
  if (header === undefined) {
    request.principal = (await authenticateSession(context.options.database.pool, request))?.principal;
    return request.principal ?? null;
  }
  if (typeof header !== "string" || !header.startsWith("Bearer ") || header.length > 200) return null;
  request.principal = (await verifyToken(context.options.database.pool, header.slice("Bearer ".length).trim())) ?? undefined;
  return request.principal ?? null;
}

/**
 * The caller, when its token may act on `projectId` with `needed`; otherwise throws `Unauthenticated` (401) or
 * `Forbidden` (403), which the API's error handler answers. A project outside
 * a read token's projects answers 403 here: routes on named resources answer 404 themselves where existence must
 * not leak.
 */
export async function authorized(
  context: ApiContext,
  request: FastifyRequest,
  _reply: FastifyReply,
  projectId: string | null,
  needed: TokenScope,
): Promise<TokenPrincipal> {
  const principal = await authenticate(context, request);
  if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
  if (!allows(principal, projectId, needed)) throw new Forbidden(forbidden(needed, projectId));
  return principal;
}

/** Whether `value` is the reply `authorized` or `checkedRequest` already sent. */
export function isReply(value: unknown): value is FastifyReply {
  return typeof value === "object" && value !== null && "sent" in value && "raw" in value;
}

/**
 * The checks every request-carrying route makes, in order: a token, a JSON object, a project the token may act on
 * with `needed` (required when `projectRequired`), a source and secret references the project is granted. The checked
 * body (with the granted source directory its source resolved inside, when it names one); a refusal is thrown as its
 * HTTP error kind.
 */
export async function checkedRequest(context: ApiContext, request: FastifyRequest, _reply: FastifyReply, needed: TokenScope, projectRequired: boolean) {
  const principal = await authenticate(context, request);
  if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
  const body = request.body;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequest(failure("validation", "request: expected a JSON object", "Send a deployment request as a JSON object."));
  }
  if (!storable(body)) {
    throw new BadRequest(failure("validation", "request: a string holds a NUL character or a lone UTF-16 surrogate", "Send well-formed Unicode text without NUL characters."));
  }
  const projectId = typeof (body as { project_id?: unknown }).project_id === "string" ? (body as { project_id: string }).project_id : null;
  if (projectId === null && projectRequired) throw new BadRequest(failure("validation", "project_id: required", "Name the project to deploy."));
  if (projectId !== null && !allows(principal, projectId, needed)) throw new Forbidden(forbidden(needed, projectId));
  const grant = context.grants.grantFor(projectId);
  const refused = refusedSecret((body as { secrets?: unknown }).secrets, projectId, grant, context.grants.baseDir);
  if (refused) throw new BadRequest(refused);
  const source = (body as { source?: unknown }).source;
  let grantedDir: { readonly dir: string; readonly root: string } | undefined;
  if (source !== undefined) {
    const granted = await grantedSource(source, grant, context.grants.baseDir);
    if ("status" in granted) throw new BadRequest(granted);
    grantedDir = granted;
  }
  return { principal, body: body as Record<string, unknown>, source: grantedDir };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether every string (and key) of a JSON value can be stored: PostgreSQL's JSON refuses NUL characters and lone
 * UTF-16 surrogates, and no field of a request has a use for either.
 */
export function storable(value: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (typeof value === "string") return !value.includes("\0") && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every((item) => storable(item, depth + 1));
  if (typeof value === "object" && value !== null) return Object.entries(value).every(([key, item]) => storable(key, depth + 1) && storable(item, depth + 1));
  return true;
}
