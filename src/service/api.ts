import { realpath } from "node:fs/promises";
import path from "node:path";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { failure } from "../outcome";
import { plan } from "../planner/index";
import { forbidden, sendFailure, UNAUTHENTICATED } from "./api-errors";
import type { ServiceDatabase } from "./database";
import { deploymentEvents, getDeployment, submitDeployment } from "./deployments";
import { metricsText } from "./metrics";
import { openApiDocument } from "./openapi";
import type { JobQueue } from "./queue";
import { allows, verifyToken, type TokenPrincipal, type TokenScope } from "./tokens";

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
  /** The deployment queue; without it the deployment routes answer 503. */
  readonly queue?: JobQueue;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: TokenPrincipal;
  }
}

/** Every route the API serves, as `METHOD path`; the OpenAPI document must describe each. */
export const API_ROUTES = [
  "GET /healthz",
  "GET /readyz",
  "GET /metrics",
  "GET /openapi.json",
  "POST /v1/plan",
  "POST /v1/deployments",
  "GET /v1/deployments/{id}",
  "GET /v1/deployments/{id}/events",
] as const;

/** How often an event stream looks for new progress lines, and the longest it stays open. */
const EVENT_POLL_MS = 250;
const EVENT_STREAM_MAX_MS = 3_600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The deployment service's HTTP API. Everything from a caller is hostile until checked: a bearer token (stored as a
 * hash) on every `/v1` route, scoped to projects and read/deploy/admin; bodies size-limited; requests rate-limited per
 * token; a `source` only inside the operator's roots. Every error is the brief's error object with a proper status,
 * and never carries internals.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: options.bodyLimitBytes ?? 1024 * 1024, logger: false, return503OnClosing: true });
  const roots = await Promise.all(options.sourceRoots.map((root) => realpath(root).catch(() => path.resolve(root))));

  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return sendFailure(reply, failure("validation", `request body: larger than the ${options.bodyLimitBytes ?? 1024 * 1024} bytes this service accepts`, "Send a smaller request."), 413);
    }
    if (error.statusCode === 429) return sendFailure(reply, failure("validation", "rate limit: too many requests for this token; try again shortly", "Slow down; the limit resets within a minute."), 429);
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendFailure(reply, failure("validation", "request: not valid JSON, or not the content type this route takes", "Send a JSON body with 'content-type: application/json'."), 400);
    }
    return sendFailure(reply, failure("internal", "internal error", "Try again; if it persists, report it to the operator."), 500);
  });
  app.setNotFoundHandler((request, reply) =>
    sendFailure(reply, failure("validation", `no route ${request.method} ${request.url.split("?")[0]!.slice(0, 100)}`, "See /openapi.json for the routes."), 404),
  );

  await app.register(rateLimit, {
    max: options.rateLimit?.max ?? 300,
    timeWindow: options.rateLimit?.windowMs ?? 60_000,
    // Per token (its public id), else per client address; the secret part never becomes a key.
    keyGenerator: (request) => /^Bearer dp_([0-9a-f]{16})_/.exec(request.headers.authorization ?? "")?.[1] ?? request.ip,
    errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: `rate limited (${context.max} per window)` }),
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const ready = await options.database.pool.query("select 1").then(() => true, () => false);
    if (!ready) return sendFailure(reply, failure("env_setup", "the service database does not answer", "Check the PostgreSQL behind DATABASE_URL."), 503);
    return { status: "ready" };
  });
  app.get("/openapi.json", async () => openApiDocument(options.version));
  app.get("/metrics", async (_request, reply) => reply.type("text/plain; version=0.0.4").send(await metricsText(options.database.pool)));

  /**
   * The checks every request-carrying route makes, in order: a token, a JSON object, a project the token may act on
   * with `needed` (required when `projectRequired`), a source inside the roots. The checked body, or the reply sent.
   */
  async function checkedRequest(request: FastifyRequest, reply: FastifyReply, needed: TokenScope, projectRequired: boolean) {
    const principal = await authenticate(options, request);
    if (!principal) return sendFailure(reply, UNAUTHENTICATED, 401);
    const body = request.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return sendFailure(reply, failure("validation", "request: expected a JSON object", "Send a deployment request as a JSON object."), 400);
    }
    const projectId = typeof (body as { project_id?: unknown }).project_id === "string" ? (body as { project_id: string }).project_id : null;
    if (projectId === null && projectRequired) return sendFailure(reply, failure("validation", "project_id: required", "Name the project to deploy."), 400);
    if (projectId !== null && !allows(principal, projectId, needed)) return sendFailure(reply, forbidden(needed, projectId), 403);
    const source = (body as { source?: unknown }).source;
    if (source !== undefined && !(await insideRoots(roots, source))) {
      return sendFailure(reply, failure("validation", "source: outside the directories this service may read", "Name a source inside the service's configured source roots."), 400);
    }
    return { principal, body };
  }

  app.post("/v1/plan", async (request, reply) => {
    const checked = await checkedRequest(request, reply, "read", false);
    if (!("body" in checked)) return checked;
    const result = plan(checked.body, { baseDir: roots[0] ?? "/nonexistent" });
    if (result.status === "error") return sendFailure(reply, result);
    return result;
  });

  app.post("/v1/deployments", async (request, reply) => {
    const checked = await checkedRequest(request, reply, "deploy", true);
    if (!("body" in checked)) return checked;
    const { principal, body } = checked;
    const key = request.headers["idempotency-key"];
    if (key !== undefined && (typeof key !== "string" || !/^[\x21-\x7e]{1,200}$/.test(key))) {
      return sendFailure(reply, failure("validation", "Idempotency-Key: 1 to 200 printable characters", "Send a unique key per deployment, e.g. a UUID."), 400);
    }
    if (!options.queue) return sendFailure(reply, failure("env_setup", "this service runs no deployment queue", "Start the service with its queue ('deployment-planner serve')."), 503);
    const submitted = await submitDeployment(options.database.pool, options.queue, { tokenId: principal.id, request: body, baseDir: roots[0] ?? "/nonexistent", idempotencyKey: key });
    if ("status" in submitted) return sendFailure(reply, submitted);
    return reply.code(submitted.created ? 202 : 200).header("location", `/v1/deployments/${submitted.deployment.id}`).send(submitted.deployment);
  });

  app.get("/v1/deployments/:id", async (request, reply) => {
    const principal = await authenticate(options, request);
    if (!principal) return sendFailure(reply, UNAUTHENTICATED, 401);
    const id = (request.params as { id: string }).id;
    const notFound = () => sendFailure(reply, failure("validation", "no such deployment", "Use the id POST /v1/deployments answered with."), 404);
    if (!UUID.test(id)) return notFound();
    const deployment = await getDeployment(options.database.pool, id);
    // A deployment outside the token's projects is as unknown as one that does not exist.
    if (!deployment || !allows(principal, deployment.project_id, "read")) return notFound();
    return deployment;
  });

  // Server-sent events: each progress line as it is recorded (resumable with Last-Event-ID), then the result.
  app.get("/v1/deployments/:id/events", async (request, reply) => {
    const principal = await authenticate(options, request);
    if (!principal) return sendFailure(reply, UNAUTHENTICATED, 401);
    const id = (request.params as { id: string }).id;
    const found = UUID.test(id) ? await getDeployment(options.database.pool, id) : null;
    if (!found || !allows(principal, found.project_id, "read")) {
      return sendFailure(reply, failure("validation", "no such deployment", "Use the id POST /v1/deployments answered with."), 404);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    let closed = false;
    raw.on("close", () => (closed = true));
    let after = Math.max(0, Number(request.headers["last-event-id"]) || 0);
    const sendNewLines = async () => {
      for (const event of await deploymentEvents(options.database.pool, id, after)) {
        raw.write(`id: ${event.seq}\nevent: progress\ndata: ${JSON.stringify({ at: event.at, line: event.line })}\n\n`);
        after = event.seq;
      }
    };
    const deadline = Date.now() + EVENT_STREAM_MAX_MS;
    while (!closed && Date.now() < deadline) {
      await sendNewLines();
      const current = await getDeployment(options.database.pool, id);
      if (current && (current.status === "succeeded" || current.status === "failed")) {
        // Lines recorded just before the result still go first.
        await sendNewLines();
        raw.write(`event: result\ndata: ${JSON.stringify(current)}\n\n`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, EVENT_POLL_MS));
    }
    raw.end();
  });

  return app;
}

/** The caller named by the request's bearer token, or null. */
async function authenticate(options: ApiOptions, request: FastifyRequest): Promise<TokenPrincipal | null> {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("Bearer ") || header.length > 200) return null;
  request.principal = (await verifyToken(options.database.pool, header.slice("Bearer ".length).trim())) ?? undefined;
  return request.principal ?? null;
}

/** Whether a `source` names a directory inside one of the roots (relative ones resolve against the first root). */
async function insideRoots(roots: readonly string[], source: unknown): Promise<boolean> {
  if (typeof source !== "string" || source.length === 0 || source.length > 4096 || source.includes("\0") || roots.length === 0) return false;
  const resolved = path.resolve(roots[0]!, source);
  // Symlinks are followed where the path exists, so a link inside a root cannot point out of it.
  const real = await realpath(resolved).catch(() => resolved);
  return roots.some((root) => real === root || real.startsWith(root + path.sep));
}
