import path from "node:path";
import type { FastifyInstance } from "fastify";
import { failure } from "../outcome";
import { plan } from "../planner/index";
import { type ApiContext, authenticate, checkedRequest, isReply, openStream, REVOKED_EVENT, type RouteModule, UNSCRUBBED, UUID } from "./api-context";
import { acceptDeployment } from "./acceptance";
import { sendFailure, UNAUTHENTICATED } from "./api-errors";
import { deploymentEngineLog, deploymentEvents, getDeployment, submitDeployment, type DeploymentRecord } from "./deployments";
import { withRelativeSource } from "./grants";
import { withFieldErrors } from "./field-errors";
import { BEARER, errorResponse } from "./openapi";
import { allows } from "./tokens";
import { routeSchema } from "./route-schema";
import { apiErrorFor, BadRequest, NotFound, Unauthenticated, Unavailable } from "./http-errors";

/** How often an event stream looks for new progress lines, and the longest it stays open. */
const EVENT_POLL_MS = 250;
const EVENT_STREAM_MAX_MS = 3_600_000;

/** A deployment the caller may read, or null (unknown, malformed id, or another project's: all the same 404). */
async function readableDeployment(context: ApiContext, principal: Parameters<typeof allows>[0], id: string): Promise<DeploymentRecord | null> {
  if (!UUID.test(id)) return null;
  const deployment = await getDeployment(context.options.database.pool, id);
  return deployment && allows(principal, deployment.project_id, "read") ? deployment : null;
}

const NO_SUCH_DEPLOYMENT = failure("validation", "no such deployment", "Use the id POST /v1/deployments answered with.");

function register(app: FastifyInstance, context: ApiContext): void {
  const pool = context.options.database.pool;

  app.post("/v1/plan", { schema: routeSchema(["deployments"], {
    summary: "Plan a deployment request; no side effects.",
    security: BEARER,
    requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/DeploymentRequest" } } } },
    responses: {
      "200": { description: "The plan.", content: { "application/json": { schema: { $ref: "#/components/schemas/PlanResult" } } } },
      "400": errorResponse("The request is invalid."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token may not read this project."),
      "413": errorResponse("The body is too large."),
      "422": errorResponse("The request cannot be planned as asked."),
      "429": errorResponse("Too many requests for this token."),
    },
  }) }, async (request, reply) => {
    const checked = await checkedRequest(context, request, reply, "read", false);
    if (!("body" in checked)) return checked;
    const planned = plan(checked.body, { baseDir: context.baseDir });
    // The planner resolves the source as the worker will; the caller sees it relative to its granted directory.
    const resolvedSource = typeof checked.body.source === "string" ? path.resolve(context.baseDir, checked.body.source) : null;
    const result = checked.source && resolvedSource ? withRelativeSource(planned, resolvedSource, checked.source.dir, checked.source.root) : planned;
    // Each problem also under the field it names, so a form shows it beside that field.
    if (result.status === "error") return sendFailure(reply, withFieldErrors(result));
    return result;
  });

  app.post("/v1/deployments", { schema: routeSchema(["deployments"], {
    summary: "Queue a deployment; 202 with its record (200 with the first one for a repeated Idempotency-Key). The request is planned and its source packaged now: the deployment deploys that bundle, whatever the source directory holds later.",
    security: BEARER,
    parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } }],
    requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/DeploymentRequest" } } } },
    responses: {
      "202": { description: "Queued.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
      "200": { description: "The deployment this Idempotency-Key queued before.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
      "400": errorResponse("The request is invalid."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token may not deploy this project."),
      "413": errorResponse("The body is too large, or the source more than a bundle may hold."),
      "422": errorResponse("The request cannot be planned as asked, or its source cannot be packaged."),
      "429": errorResponse("Too many requests for this token."),
    },
  }) }, async (request, reply) => {
    const checked = await checkedRequest(context, request, reply, "deploy", true);
    if (!("body" in checked)) return checked;
    const { principal, body } = checked;
    const key = request.headers["idempotency-key"];
    if (key !== undefined && (typeof key !== "string" || !/^[\x21-\x7e]{1,200}$/.test(key))) {
      throw new BadRequest(failure("validation", "Idempotency-Key: 1 to 200 printable characters", "Send a unique key per deployment, e.g. a UUID."));
    }
    const queue = context.options.queue;
    if (!queue) throw new Unavailable(failure("env_setup", "this service runs no deployment queue", "Start the service with its queue ('deployment-planner serve')."));
    // Planned, checked and packaged now, once: the worker deploys this bundle, whatever the directory holds later.
    const accepted = await acceptDeployment(body, { grant: context.grants.grantFor(typeof body.project_id === "string" ? body.project_id : null), baseDir: context.baseDir });
    if ("failure" in accepted) throw apiErrorFor(accepted.status, accepted.failure);
    const submitted = await submitDeployment(pool, queue, { tokenId: principal.id, request: body, accepted, idempotencyKey: key, notifier: context.options.notifier });
    return reply.code(submitted.created ? 202 : 200).header("location", `/v1/deployments/${submitted.deployment.id}`).send(submitted.deployment);
  });

  app.get("/v1/deployments/:id", { schema: routeSchema(["deployments"], {
    summary: "A deployment: queued, running, then the operation's success or failure result as its result.",
    security: BEARER,
    parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
    responses: {
      "200": { description: "The deployment.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
      "401": errorResponse("No valid token."),
      "404": errorResponse("No such deployment for this token."),
    },
  }) }, async (request, reply) => {
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    const deployment = await readableDeployment(context, principal, (request.params as { id: string }).id);
    if (!deployment) throw new NotFound(NO_SUCH_DEPLOYMENT);
    return deployment;
  });

  app.get("/v1/deployments/:id/log", { schema: routeSchema(["deployments"], {
    summary: "The masked engine log of a finished deployment's run (secrets replaced by [secret]).",
    security: BEARER,
    parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
    responses: {
      "200": { description: "The log.", content: { "text/plain": { schema: { type: "string" } } } },
      "401": errorResponse("No valid token."),
      "404": errorResponse("No such deployment for this token, or no log yet."),
    },
  }) }, async (request, reply) => {
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    const deployment = await readableDeployment(context, principal, (request.params as { id: string }).id);
    if (!deployment) throw new NotFound(NO_SUCH_DEPLOYMENT);
    const log = await deploymentEngineLog(pool, deployment.id);
    if (log === null) {
      throw new NotFound(failure("validation", `no engine log yet: the deployment is ${deployment.status}`, "Ask again once it has finished, or follow /events meanwhile."));
    }
    // The engine's full detail is the operator's: an admin of the project reads it as recorded, anyone else with
    // this machine's paths replaced.
    if (allows(principal, deployment.project_id, "admin")) UNSCRUBBED.add(reply);
    return reply.type("text/plain; charset=utf-8").send(log);
  });

  // Server-sent events: each progress line as it is recorded (resumable with Last-Event-ID), then the result.
  app.get("/v1/deployments/:id/events", { schema: routeSchema(["deployments"], {
    summary: "Server-sent events: a 'progress' event per progress line (ids resume with Last-Event-ID), then one 'result' event with the finished deployment.",
    security: BEARER,
    parameters: [
      { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
      { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
    ],
    responses: {
      "200": { description: "The event stream.", content: { "text/event-stream": { schema: { type: "string" } } } },
      "401": errorResponse("No valid token."),
      "404": errorResponse("No such deployment for this token."),
    },
  }) }, async (request, reply) => {
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    const id = (request.params as { id: string }).id;
    if (!(await readableDeployment(context, principal, id))) throw new NotFound(NO_SUCH_DEPLOYMENT);
    const stream = openStream(context, principal, reply);
    if (isReply(stream)) return stream;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    // Sent now, so a client (and any proxy) sees the stream open before its first event.
    raw.flushHeaders();
    let closed = false;
    raw.on("close", () => (closed = true));
    // Event ids are sequence numbers; anything else (or beyond them) starts from the beginning.
    const lastEventId = Number(request.headers["last-event-id"]);
    let after = Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0;
    const sendNewLines = async () => {
      for (const event of await deploymentEvents(pool, id, after)) {
        raw.write(`id: ${event.seq}\nevent: progress\ndata: ${JSON.stringify(context.callerText.value({ at: event.at, line: event.line }))}\n\n`);
        after = event.seq;
      }
    };
    const deadline = Date.now() + EVENT_STREAM_MAX_MS;
    try {
      while (!closed && !stream.signal.aborted && Date.now() < deadline) {
        await sendNewLines();
        const current = await getDeployment(pool, id);
        if (current && (current.status === "succeeded" || current.status === "failed")) {
          // Lines recorded just before the result still go first.
          await sendNewLines();
          raw.write(`event: result\ndata: ${JSON.stringify(context.callerText.value(current))}\n\n`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, EVENT_POLL_MS));
      }
    } catch {
      // The database went away mid-stream: the caller reconnects with Last-Event-ID and loses nothing.
      raw.write("event: error\ndata: {\"reason\":\"the event stream was interrupted; reconnect to resume\"}\n\n");
    } finally {
      stream.close();
      if (stream.signal.aborted && !closed) raw.write(REVOKED_EVENT);
      raw.end();
    }
  });
}

/** Planning, queueing and following deployments. */
export const deploymentRoutes: RouteModule = {
  routes: ["POST /v1/plan", "POST /v1/deployments", "GET /v1/deployments/{id}", "GET /v1/deployments/{id}/events", "GET /v1/deployments/{id}/log"],
  register,
};
