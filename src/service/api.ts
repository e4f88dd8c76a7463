import type { Socket } from "node:net";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { failure, type FailureResult } from "../outcome";
import { apiContext, authenticate, forgetAuthentication, UNSCRUBBED, type ApiOptions, type RouteModule } from "./api-context";
import { sendFailure } from "./api-errors";
import { ApiError, BadRequest, Forbidden, frameworkError, NotFound, Unavailable, UriTooLong } from "./http-errors";
import { auditRoutes } from "./audit-routes";
import { defaultDashboardDir, registerDashboard, SECURITY_HEADERS } from "./dashboard-static";
import { deploymentRoutes } from "./deployment-routes";
import { deploymentListRoutes } from "./deployment-list-routes";
import { previewRoutes } from "./preview-routes";
import { redeployRoutes } from "./redeploy-routes";
import { rolloutRoutes } from "./rollout-routes";
import { hookRoutes } from "./hook-routes";
import { metricsText } from "./metrics";
import { errorResponse, openApiDocument } from "./openapi";
import { declaredRoutes, openApiPaths, routeSchema } from "./route-schema";
import { REQUEST_ID_HEADER, requestIdOf, serviceLogger } from "./service-log";
import { sessionRoutes } from "./session-routes";
import { crossSiteRefusal } from "./sessions";
import { stackRoutes } from "./stack-routes";

export type { ApiOptions } from "./api-context";

/** The routes every service answers without a token: liveness, readiness, its description and its metrics. */
const CORE_ROUTES = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json"] as const;

/** The groups of `/v1` routes. */
const MODULES: readonly RouteModule[] = [deploymentRoutes, stackRoutes, hookRoutes, auditRoutes, deploymentListRoutes, previewRoutes, redeployRoutes, rolloutRoutes, sessionRoutes];

/** Every route the API serves, as `METHOD path`; the OpenAPI document must describe each. */
export const API_ROUTES: readonly string[] = [...CORE_ROUTES, ...MODULES.flatMap((module) => module.routes)];

/**
 * The deployment service's HTTP API. Everything from a caller is hostile until checked: a bearer token (stored as a
 * hash) on every `/v1` route but the signed webhooks, scoped to projects and read/deploy/admin; bodies size-limited;
 * requests rate-limited per token; a `source` only inside the operator's roots. Every error is a failure
 * result with a proper status, and never carries internals.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    bodyLimit,
    // A request (headers and body) must arrive within the timeout: a client trickling a byte at a time cannot hold
    // one open. Node checks the timeouts every second here (its default is every 30 s).
    requestTimeout,
    http: { headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1_000, requestTimeout) },
    trustProxy: options.trustProxy ?? false,
    // JSON lines (pino) with the request's id: every request at level info, every 5xx at error with its stack.
    logger: serviceLogger(options.log),
    requestIdHeader: false,
    genReqId: requestIdOf,
    return503OnClosing: true,
    // Path segments are ids and names; a longer one is refused as a bad request, not matched.
    routerOptions: { maxParamLength: 200 },
    // Errors the router meets before any route runs (a malformed percent-encoding, an overlong segment).
    frameworkErrors: (error, _request, reply) => {
      const tooLong = (error as { code?: string }).code === "FST_ERR_MAX_PARAM_LENGTH";
      const refused = failure("validation", tooLong ? "request path: a segment is too long" : "request path: not a valid URL", "Send a well-formed path; see /openapi.json.");
      const kind = tooLong ? new UriTooLong(refused) : new BadRequest(refused);
      void sendFailure(reply, kind.failure, kind.statusCode);
    },
    // Requests the HTTP parser refuses (an unknown method, oversized headers) still get a failure result.
    clientErrorHandler: answerClientError,
  });
  const context = await apiContext(options);
  // The web dashboard's pages and files: served here, but no part of the API its document describes.
  if (options.dashboard !== false) registerDashboard(app, options.dashboardDir ?? defaultDashboardDir());
  // Every route from here on declares its schema; the OpenAPI document is generated from them.
  const routes = declaredRoutes(app);

  // The one place an error becomes a response: an HTTP error kind answers its class's status, one fastify or a plugin
  // raised (a body too large, the rate limit, a schema refusal) is turned into its kind first; anything else is a bug.
  app.setErrorHandler((error: Parameters<typeof frameworkError>[0], request, reply) => {
    const known = error instanceof ApiError ? error : frameworkError(error, bodyLimit);
    if (known) return sendFailure(reply, known.failure, known.statusCode);
    // The operator's log has the error and its stack under the request id; the caller has only the id.
    request.log.error({ err: error, method: request.method, url: request.url.split("?")[0]!.slice(0, 200), statusCode: 500 }, "request failed");
    LOGGED.add(reply);
    return sendFailure(reply, failure("internal", `internal error (request id ${request.id})`, "Try again; if it persists, report it to the operator with the request id."), 500);
  });

  // Everything a caller receives passes one boundary: no path, file mode or stack frame of this machine leaves it.
  // The operator's log keeps the text as it was.
  app.addHook("preSerialization", async (request, reply, payload) => {
    SCRUBBED.add(reply);
    const scrubbed = context.callerText.value(payload);
    const failed = isFailureBody(payload) ? payload : null;
    if (reply.statusCode >= 500 && !LOGGED.has(reply)) {
      LOGGED.add(reply);
      request.log.error({ method: request.method, url: request.url.split("?")[0]!.slice(0, 200), statusCode: reply.statusCode, failure: failed }, "request answered with a server error");
    } else if (failed && JSON.stringify(scrubbed) !== JSON.stringify(payload)) {
      request.log.warn({ statusCode: reply.statusCode, failure: failed }, "answer scrubbed of machine details");
    }
    return scrubbed;
  });
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    reply.headers(SECURITY_HEADERS);
    if (typeof payload !== "string" || SCRUBBED.has(reply) || UNSCRUBBED.has(reply)) return payload;
    return context.callerText.text(payload);
  });
  app.setNotFoundHandler(async (request) => {
    throw new NotFound(failure("validation", `no route ${request.method} ${request.url.split("?")[0]!.slice(0, 100)}`, "See /openapi.json for the routes."));
  });

  // Every caller is authenticated once, before any route (and before the rate limit), so the limit counts verified
  // callers only: a forged token id cannot spend its owner's allowance.
  app.addHook("onRequest", async (request) => {
    // A database that does not answer leaves the caller unverified here (the address counts); a route that needs
    // the token checks it again and meets the failure itself, and the routes without one still answer.
    await authenticate(context, request).catch(() => forgetAuthentication(request));
    // A request that sends a session cookie and changes anything carries the session's CSRF token, or goes no
    // further: a form another site posts with the browser's cookie never reaches a route.
    const crossSite = crossSiteRefusal(request);
    if (crossSite) throw new Forbidden(crossSite);
  });
  await app.register(rateLimit, {
    max: options.rateLimit?.max ?? 300,
    timeWindow: options.rateLimit?.windowMs ?? 60_000,
    // Per verified token, else (webhooks, a missing or failed token) per client address.
    keyGenerator: (request) => (request.principal ? `token:${request.principal.id}` : `address:${request.ip}`),
    errorResponseBuilder: (_request, limit) => ({ statusCode: 429, message: `rate limited (${limit.max} per window)` }),
  });

  app.get("/healthz", { schema: routeSchema(["service"], { summary: "The process is up.", responses: { "200": { description: "Up." } } }) }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: routeSchema(["service"], { summary: "The database answers.", responses: { "200": { description: "Ready." }, "503": errorResponse("The database does not answer.") } }) }, async () => {
    const ready = await options.database.pool.query("select 1").then(() => true, () => false);
    if (!ready) throw new Unavailable(failure("env_setup", "the service database does not answer", "Check the PostgreSQL behind DATABASE_URL."));
    return { status: "ready" };
  });
  app.get("/openapi.json", { schema: routeSchema(["service"], { summary: "This document, generated from the schema each route declares.", responses: { "200": { description: "The OpenAPI document." } } }) }, async (_request, reply) => {
    // The service's own text (routes and schemas), never a caller's or the machine's: sent as written, since the
    // caller boundary would take route templates (`/{id}/events`) for machine paths.
    UNSCRUBBED.add(reply);
    return reply.type("application/json; charset=utf-8").send(JSON.stringify(openApiDocument(options.version, openApiPaths(routes))));
  });
  const metricsDoc = { summary: "Queue depth, running and finished deployments by outcome and stage, durations (Prometheus text format).", responses: { "200": { description: "The metrics.", content: { "text/plain": { schema: { type: "string" } } } } } };
  app.get("/metrics", { schema: routeSchema(["service"], metricsDoc) }, async (_request, reply) => reply.type("text/plain; version=0.0.4").send(await metricsText(options.database.pool)));

  for (const module of MODULES) module.register(app, context);
  return app;
}

/** Replies whose payload went through the boundary already, or whose 5xx is logged. */
const SCRUBBED = new WeakSet<FastifyReply>();
const LOGGED = new WeakSet<FastifyReply>();

function isFailureBody(payload: unknown): payload is FailureResult {
  return typeof payload === "object" && payload !== null && (payload as { status?: unknown }).status === "error" && typeof (payload as { reason?: unknown }).reason === "string";
}

/** The answer to a request the HTTP parser refused before any route could see it; the connection is then closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, text, reason] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", "request headers: larger than this service accepts"]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "request: not received in time"]
        : [400, "Bad Request", "request: not valid HTTP"];
  const body = JSON.stringify(failure("validation", reason, "Send a well-formed HTTP/1.1 request with smaller headers."));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
