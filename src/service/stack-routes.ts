import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  appLogTail,
  followAppLog,
  MAX_LOG_LINES,
  AutomationError,
  stackHistory,
  listStacks,
  stackOutputs,
  stackStatus,
  promote,
  summarizeStack,
  type PlannerWorkspace,
} from "../automation/index";
import { failure, isFailure } from "../outcome";
import { identifierSchema, stackNameFor } from "../planner/spec";
import { type ApiContext, authenticate, authorized, isReply, openStream, REVOKED_EVENT, type RouteModule, storable } from "./api-context";
import { sendFailure, UNAUTHENTICATED } from "./api-errors";
import { queueOperation } from "./deployments";
import { BEARER, errorResponse } from "./openapi";
import { servicePrincipal, type StackOperationArgs } from "./stack-operations";
import { allows, type TokenScope } from "./tokens";
import { routeSchema } from "./route-schema";
import { historyViews, isPreviewEnvironment, PROMOTION_ORDER, stackLanes } from "./stack-views";
import { BadRequest, Forbidden, NotFound, Unauthenticated, Unavailable } from "./http-errors";

/** The longest a followed app log stays open. */
const FOLLOW_MAX_MS = 3_600_000;

const NO_SUCH_STACK = failure("validation", "no such stack", "List the stacks with GET /v1/stacks.");
const NO_WORKSPACE = failure("env_setup", "this service process reads no stacks", "Start the API with its workspace ('deployment-planner serve --workspace <dir>').");

/** A project id or environment name from a path, or null when it is not one. */
function identifier(value: unknown): string | null {
  return typeof value === "string" && identifierSchema.safeParse(value).success ? value : null;
}

/** The stack a request's path names, once the caller may act on it with `needed`; otherwise the reply sent. */
export async function stackOf(context: ApiContext, request: FastifyRequest, reply: FastifyReply, needed: TokenScope) {
  const params = request.params as { project_id?: string; environment?: string };
  const projectId = identifier(params.project_id);
  const environment = identifier(params.environment);
  const principal = await authenticate(context, request);
  if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
  // Another project's stack is answered like one that does not exist (when the token may not even read it).
  if (!projectId || !environment || !allows(principal, projectId, "read")) throw new NotFound(NO_SUCH_STACK);
  const allowed = await authorized(context, request, reply, projectId, needed);
  if (isReply(allowed)) return allowed;
  return { principal: allowed, projectId, environment, stack: stackNameFor(projectId, environment) };
}

/** Queues a stack operation and answers 202 with its record (to follow like any deployment). */
async function queueStackOperation(context: ApiContext, reply: FastifyReply, tokenId: string, args: StackOperationArgs, stack: string, idempotencyKey: unknown) {
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== "string" || !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey))) {
    throw new BadRequest(failure("validation", "Idempotency-Key: 1 to 200 printable characters", "Send a unique key per operation, e.g. a UUID."));
  }
  const queue = context.options.queue;
  if (!queue) throw new Unavailable(failure("env_setup", "this service runs no deployment queue", "Start the service with its queue ('deployment-planner serve')."));
  const queued = await queueOperation(context.options.database.pool, queue, {
    tokenId,
    operation: args.operation,
    projectId: args.project_id,
    stack,
    request: args,
    idempotencyKey: idempotencyKey as string | undefined,
    notifier: context.options.notifier,
  });
  return reply.code(queued.created ? 202 : 200).header("location", `/v1/deployments/${queued.deployment.id}`).send(queued.deployment);
}

/** The body as an object (an absent body is an empty one), or null. */
function bodyObject(request: FastifyRequest): Record<string, unknown> | null {
  const body = request.body ?? {};
  return typeof body === "object" && body !== null && !Array.isArray(body) && storable(body) ? (body as Record<string, unknown>) : null;
}

function register(app: FastifyInstance, context: ApiContext): void {
  const workspace = context.options.workspace;

  app.get("/v1/stacks", { schema: routeSchema(["stacks"], {
    summary: "The stacks the token may read: the update and version that serve (from the engine's history), URL, health (its URL checked now), the last operation and its outcome (cancelled, failed, who ran it and their name), lock, rollout, whether it is a preview; and the environments' promotion order.",
    security: BEARER,
    parameters: [
      { name: "project_id", in: "query", required: false, schema: { type: "string" } },
      { name: "preview", in: "query", required: false, description: "true: only preview environments (preview, preview-<name>, such as a pull request's preview-pr-<number>); false: none of them.", schema: { type: "boolean" } },
    ],
    responses: { "200": { description: "The stacks." }, "400": errorResponse("Invalid project id or preview flag."), "401": errorResponse("No valid token.") },
  }) }, async (request, reply) => {
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    const query = request.query as { project_id?: unknown; preview?: unknown };
    const projectId = query.project_id === undefined ? undefined : identifier(query.project_id);
    if (projectId === null) throw new BadRequest(failure("validation", "project_id: not a project id", "Pass a project id, or none for every project you may read."));
    const preview = query.preview === undefined ? undefined : query.preview === "true" || query.preview === true ? true : query.preview === "false" || query.preview === false ? false : null;
    if (preview === null) throw new BadRequest(failure("validation", "preview: true or false", "Pass preview=true for preview environments only, preview=false for none of them, or leave it out."));
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    // Only the caller's projects are read, so another project's stacks cost it nothing and reach it in no form.
    const stacks = await listStacks(workspace, { projectId, projectIds: principal.projects.includes("*") ? undefined : principal.projects });
    const readable = stacks.filter((stack) => allows(principal, stack.project_id, "read") && (preview === undefined || isPreviewEnvironment(stack.environment) === preview));
    return { promotion_order: PROMOTION_ORDER, stacks: await stackLanes(workspace, context.options.database.pool, readable) };
  });

  app.get("/v1/stacks/:project_id/:environment", { schema: routeSchema(["stacks"], {
    summary: "One stack: its summary (the update that serves, the last operation and its outcome), outputs (secret ones masked) and last rollout.",
    security: BEARER,
    parameters: stackParams,
    responses: { "200": { description: "The stack." }, "401": errorResponse("No valid token."), "404": errorResponse("No such stack for this token.") },
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "read");
    if (isReply(target)) return target;
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    const status = await stackStatus(workspace, target.stack);
    if (!status) throw new NotFound(NO_SUCH_STACK);
    // A stack whose state the engine cannot read still has a summary; its outputs are then null.
    const outputs = await stackOutputs(target.stack, { workspace }).catch(() => null);
    return { ...status, outputs };
  });

  app.get("/v1/stacks/:project_id/:environment/history", { schema: routeSchema(["stacks"], {
    summary: "The stack's updates, newest first: each one's operation (rollback from 2 to 1, promote, destroy), outcome, who ran it and their name (deployer_name), deployer, version name, bundle digest, whether it serves now (current) and whether a rollback may return to it (rollback_allowed: succeeded, healthy, not current).",
    security: BEARER,
    parameters: [...stackParams, { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } }],
    responses: { "200": { description: "The history." }, "400": errorResponse("Invalid limit."), "401": errorResponse("No valid token."), "404": errorResponse("No such stack for this token.") },
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "read");
    if (isReply(target)) return target;
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    const limit = Number((request.query as { limit?: string }).limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequest(failure("validation", "limit: a whole number from 1 to 1000", "Ask for fewer entries."));
    try {
      const history = await stackHistory(target.stack, { workspace, limit });
      const current = (await summarizeStack(workspace, target.stack))?.update ?? null;
      return { stack: target.stack, history: await historyViews(workspace, context.options.database.pool, target.stack, history, current) };
    } catch (error) {
      if (error instanceof AutomationError && error.stage === "validation") throw new NotFound(NO_SUCH_STACK);
      throw error;
    }
  });

  app.get("/v1/stacks/:project_id/:environment/logs", { schema: routeSchema(["stacks"], {
    summary: "The app's own output (local target), masked: the last lines, or with follow=true server-sent 'log' events as it writes.",
    security: BEARER,
    parameters: [...stackParams, { name: "lines", in: "query", required: false, schema: { type: "integer", minimum: 0, maximum: MAX_LOG_LINES } }, { name: "follow", in: "query", required: false, schema: { type: "boolean" } }],
    responses: {
      "200": { description: "The lines (JSON), or the event stream.", content: { "application/json": { schema: { type: "object" } }, "text/event-stream": { schema: { type: "string" } } } },
      "400": errorResponse("Invalid lines."),
      "401": errorResponse("No valid token."),
      "404": errorResponse("No such stack for this token, or no app log here."),
    },
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "read");
    if (isReply(target)) return target;
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    const query = request.query as { lines?: string; follow?: string };
    const lines = Number(query.lines ?? 100);
    if (!Number.isInteger(lines) || lines < 0 || lines > MAX_LOG_LINES) throw new BadRequest(failure("validation", `lines: a whole number from 0 to ${MAX_LOG_LINES}`, "Ask for fewer lines."));
    const tail = await appLogTail(workspace, target.stack, lines);
    if (!tail) throw new NotFound(failure("validation", "no app log: the stack runs no release on this machine's local target", "App logs exist for the local target; other targets keep them in their own consoles."));
    if (query.follow !== "true" && query.follow !== "1") return { stack: target.stack, release: tail.source.release, lines: tail.lines };
    // Followed: server-sent events, one `log` event per batch of lines, until the caller leaves.
    const stream = openStream(context, target.principal, reply);
    if (isReply(stream)) return stream;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    // Sent now, so a client (and any proxy) sees the stream open before its first event.
    raw.flushHeaders();
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), FOLLOW_MAX_MS);
    raw.on("close", () => stop.abort());
    stream.signal.addEventListener("abort", () => stop.abort());
    const send = (batch: string[], release: string) => raw.write(`event: log\ndata: ${JSON.stringify(context.callerText.value({ release, lines: batch }))}\n\n`);
    if (tail.lines.length > 0) send(tail.lines, tail.source.release);
    await followAppLog(workspace, target.stack, tail, send, stop.signal).catch(() => undefined);
    clearTimeout(timer);
    stream.close();
    if (stream.signal.aborted && raw.writable) raw.write(REVOKED_EVENT);
    raw.end();
  });

  app.post("/v1/stacks/:project_id/:environment/rollback", { schema: routeSchema(["stacks"], {
    summary: "Queue a rollback to a version (number or name), or to the last healthy one.",
    security: BEARER,
    parameters: [...stackParams, idempotencyHeader],
    requestBody: { required: false, content: { "application/json": { schema: { type: "object", properties: { to: { oneOf: [{ type: "integer", minimum: 1 }, { type: "string" }] } }, additionalProperties: false } } } },
    responses: queuedResponses("The rollback"),
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "deploy");
    if (isReply(target)) return target;
    const body = bodyObject(request);
    const to = body?.to;
    if (!body || (to !== undefined && !(Number.isInteger(to) && (to as number) > 0) && !(typeof to === "string" && to.length > 0 && to.length <= 100))) {
      throw new BadRequest(failure("validation", "to: a version number or a version name (or nothing for the last healthy one)", "Send {} or {\"to\": 3}."));
    }
    const args: StackOperationArgs = { operation: "rollback", project_id: target.projectId, environment: target.environment, ...(to === undefined ? {} : { to: to as number | string }) };
    return queueStackOperation(context, reply, target.principal.id, args, target.stack, request.headers["idempotency-key"]);
  });

  app.post("/v1/stacks/:project_id/promote", { schema: routeSchema(["stacks"], {
    summary: "Queue a promotion of one environment's current version to another; with dry_run=true answer the target's stack-file diff and the engine's preview instead, queueing nothing.",
    security: BEARER,
    parameters: [{ name: "project_id", in: "path", required: true, schema: { type: "string" } }, idempotencyHeader],
    requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["from", "to"], properties: { from: { type: "string" }, to: { type: "string" }, dry_run: { type: "boolean" } } } } } },
    responses: { ...queuedResponses("The promotion"), "200": PROMOTE_DRY_RUN_RESPONSE, "422": errorResponse("The promotion cannot be planned (the source never deployed, failed its health check, or its bundle is gone).") },
  }) }, async (request, reply) => {
    const body = bodyObject(request);
    const from = identifier(body?.from);
    const to = identifier(body?.to);
    const projectId = identifier((request.params as { project_id?: string }).project_id);
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    if (!projectId || !allows(principal, projectId, "read")) throw new NotFound(NO_SUCH_STACK);
    if (!from || !to || from === to) throw new BadRequest(failure("validation", "from, to: two different environment names", "Send {\"from\": \"staging\", \"to\": \"production\"}."));
    if (!allows(principal, projectId, "deploy")) throw new Forbidden(failure("access", `this token may not deploy project '${projectId}'`, "Use a token with the deploy scope for this project."));
    if (body?.dry_run !== undefined && typeof body.dry_run !== "boolean") throw new BadRequest(failure("validation", "dry_run: true or false", "Send {\"from\": \"staging\", \"to\": \"production\", \"dry_run\": true}."));
    if (body?.dry_run === true) {
      if (!workspace) throw new Unavailable(NO_WORKSPACE);
      return promotionDryRun(reply, workspace, projectId, from, to, principal.id);
    }
    const args: StackOperationArgs = { operation: "promote", project_id: projectId, from, to };
    return queueStackOperation(context, reply, principal.id, args, stackNameFor(projectId, to), request.headers["idempotency-key"]);
  });

  app.delete("/v1/stacks/:project_id/:environment", { schema: routeSchema(["stacks"], {
    summary: "Queue a destroy of the stack's resources (admin). A protected (production) stack needs force=true; remove=true also removes the stack and its history.",
    security: BEARER,
    parameters: [...stackParams, idempotencyHeader, { name: "force", in: "query", required: false, schema: { type: "boolean" } }, { name: "remove", in: "query", required: false, schema: { type: "boolean" } }],
    responses: queuedResponses("The destroy"),
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "admin");
    if (isReply(target)) return target;
    const query = request.query as { force?: string; remove?: string };
    const args: StackOperationArgs = {
      operation: "destroy",
      project_id: target.projectId,
      environment: target.environment,
      force: query.force === "true",
      remove: query.remove === "true",
    };
    return queueStackOperation(context, reply, target.principal.id, args, target.stack, request.headers["idempotency-key"]);
  });
}

/** The longest a promotion's dry run may take (the engine's preview, waiting for the stack's lock included). */
const DRY_RUN_TIMEOUT_MS = 120_000;

/** What a promotion's dry run answers. */
const PROMOTE_DRY_RUN_RESPONSE = {
  description: "dry_run=true: the target's stack-file diff and the engine's preview; nothing queued.",
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          from: { type: "string" },
          to: { type: "string" },
          stack: { type: "string" },
          promoted_from: { type: "object", properties: { stack: { type: "string" }, version: { type: "integer" }, version_name: { type: ["string", "null"] }, artifact_digest: { type: ["string", "null"] } } },
          diff: { type: "string", description: "Unified diff of the target's stack file, before → after (empty when it would not change)." },
          preview: { type: "object", properties: { has_changes: { type: "boolean" }, changes: { type: "object" }, steps: { type: "array", items: { type: "object", properties: { op: { type: "string" }, type: { type: "string" }, name: { type: "string" } } } } } },
        },
      },
    },
  },
};

/** A promotion's dry run, run here and now (the library's `promote` with `dryRun`): the diff and preview, or its failure. */
async function promotionDryRun(reply: FastifyReply, workspace: PlannerWorkspace, projectId: string, from: string, to: string, tokenId: string) {
  const planned = await promote(projectId, { workspace, from, to, dryRun: true, actor: servicePrincipal(tokenId), signal: AbortSignal.timeout(DRY_RUN_TIMEOUT_MS), lockWaitMs: 20_000 });
  if (isFailure(planned)) return sendFailure(reply, planned);
  if (planned.status !== "planned") return sendFailure(reply, failure("internal", "the dry run of a promotion did not stay a dry run", "Report it to the operator."), 500);
  return { from, to, stack: planned.stack, promoted_from: planned.promoted_from, diff: planned.stack_file_diff, preview: { has_changes: planned.has_changes, changes: planned.changes, steps: planned.steps } };
}

const stackParams = [
  { name: "project_id", in: "path", required: true, schema: { type: "string" } },
  { name: "environment", in: "path", required: true, schema: { type: "string" } },
];
const queuedResponses = (what: string) => ({
  "202": { description: `${what} queued: the record to follow like a deployment.`, content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
  "200": { description: "The operation this Idempotency-Key queued before.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
  "400": errorResponse("Invalid arguments."),
  "401": errorResponse("No valid token."),
  "403": errorResponse("The token's scope is not enough."),
  "404": errorResponse("No such stack for this token."),
});
const idempotencyHeader = { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } };

/** Stacks: list, one stack's outputs and version, history, app logs, and queued rollback, promotion and destroy. */
export const stackRoutes: RouteModule = {
  routes: [
    "GET /v1/stacks",
    "GET /v1/stacks/{project_id}/{environment}",
    "GET /v1/stacks/{project_id}/{environment}/history",
    "GET /v1/stacks/{project_id}/{environment}/logs",
    "POST /v1/stacks/{project_id}/{environment}/rollback",
    "POST /v1/stacks/{project_id}/promote",
    "DELETE /v1/stacks/{project_id}/{environment}",
  ],
  register,
};
