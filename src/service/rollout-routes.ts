import type { FastifyInstance, FastifyRequest } from "fastify";
import { endStackRollout, stackRollout } from "../automation/index";
import { failure } from "../outcome";
import { type ApiContext, isReply, type RouteModule, storable } from "./api-context";
import { BadRequest, Conflict, NotFound, Unavailable } from "./http-errors";
import { BEARER, errorResponse } from "./openapi";
import { routeSchema } from "./route-schema";
import { servicePrincipal } from "./stack-operations";
import { stackOf } from "./stack-routes";

const NO_SUCH_STACK = failure("validation", "no such stack", "List the stacks with GET /v1/stacks.");
const NO_WORKSPACE = failure("env_setup", "this service process reads no stacks", "Start the API with its workspace ('deployment-planner serve --workspace <dir>').");

const stackParams = [
  { name: "project_id", in: "path", required: true, schema: { type: "string" } },
  { name: "environment", in: "path", required: true, schema: { type: "string" } },
];

const countsSchema = { type: "object", properties: { requests: { type: "integer" }, errors: { type: "integer" }, error_rate: { type: "number" } } };

/** A rollout as the target reports it (the local supervisor's snapshot). */
const rolloutSchema = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["running", "held", "completed", "aborted"] },
    reason: { type: ["string", "null"] },
    stable: { type: "string", description: "The release that served before." },
    canary: { type: "string", description: "The new release." },
    steps: { type: "array", items: { type: "number" }, description: "The new release's share of the traffic at each step, in percent." },
    step: { type: "integer", description: "The current step, 1-based." },
    weight: { type: "number", description: "The new release's share of the traffic now, in percent." },
    step_interval_ms: { type: "integer" },
    max_error_rate: { type: "number" },
    min_requests: { type: "integer" },
    started_at: { type: "string", format: "date-time" },
    step_started_at: { type: "string", format: "date-time" },
    time_left_ms: { type: "integer" },
    step_counts: { type: "object", properties: { canary: countsSchema, stable: countsSchema } },
    total_counts: { type: "object", properties: { canary: countsSchema, stable: countsSchema } },
    first_canary_error_at: { type: ["string", "null"] },
    aborted_at: { type: ["string", "null"] },
    ended_at: { type: ["string", "null"] },
  },
};

/** A reason from the body: at most 200 printable characters, or `fallback` when none is given; null when invalid. */
function reasonOf(request: FastifyRequest, fallback: string): string | null {
  const body = request.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body) || !storable(body)) return null;
  const { reason, ...rest } = body as { reason?: unknown };
  if (Object.keys(rest).length > 0) return null;
  if (reason === undefined) return fallback;
  return typeof reason === "string" && reason.trim().length > 0 && reason.length <= 200 && !/[\u0000-\u001f\u007f]/.test(reason) ? reason.trim() : null;
}

function register(app: FastifyInstance, context: ApiContext): void {
  const workspace = context.options.workspace;

  app.get("/v1/stacks/:project_id/:environment/rollout", { schema: routeSchema(["stacks"], {
    summary: "The stack's current or last canary rollout: its steps, the current step and weight, each release's requests and error rate (this step and in total), status, reason and time left.",
    security: BEARER,
    parameters: stackParams,
    responses: {
      "200": { description: "The rollout (null when the stack's target reports none).", content: { "application/json": { schema: { type: "object", properties: { stack: { type: "string" }, rollout: { oneOf: [{ type: "null" }, rolloutSchema] } } } } } },
      "401": errorResponse("No valid token."),
      "404": errorResponse("No such stack for this token."),
    },
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "read");
    if (isReply(target)) return target;
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    return { stack: target.stack, rollout: await stackRollout(workspace, target.stack) };
  });

  for (const [action, promote] of [["abort", false], ["promote", true]] as const) {
    app.post(`/v1/stacks/:project_id/:environment/rollout/${action}`, { schema: routeSchema(["stacks"], {
      summary: promote
        ? "Complete the running canary rollout now: the new release takes all traffic and the deployment that runs it goes on to its health check. Audited with the caller."
        : "Abort the running canary rollout: the stable release takes all traffic back, and the deployment that runs it fails at stage verify with the reason. Audited with the caller.",
      security: BEARER,
      parameters: stackParams,
      requestBody: { required: false, content: { "application/json": { schema: { type: "object", properties: { reason: { type: "string", maxLength: 200 } }, additionalProperties: false } } } },
      responses: {
        "200": { description: `The rollout once ${promote ? "completed" : "aborted"}.`, content: { "application/json": { schema: { type: "object", properties: { stack: { type: "string" }, rollout: rolloutSchema } } } } },
        "400": errorResponse("Invalid reason."),
        "401": errorResponse("No valid token."),
        "403": errorResponse("The token may not deploy this project."),
        "404": errorResponse("No such stack for this token."),
        "409": errorResponse(promote ? "No rollout runs (or it is held, its deployer gone, or the target cannot complete one early)." : "No rollout runs."),
      },
    }) }, async (request, reply) => {
      const target = await stackOf(context, request, reply, "deploy");
      if (isReply(target)) return target;
      const reason = reasonOf(request, promote ? `promoted by ${target.principal.name}` : `aborted by ${target.principal.name}`);
      if (reason === null) throw new BadRequest(failure("validation", "reason: 1 to 200 characters on one line (the only field)", "Send {} or {\"reason\": \"errors on checkout\"}."));
      if (!workspace) throw new Unavailable(NO_WORKSPACE);
      const ended = await endStackRollout(workspace, target.stack, { promote, reason, actor: servicePrincipal(target.principal.id) });
      if (ended.outcome === "no_stack") throw new NotFound(NO_SUCH_STACK);
      if (ended.outcome === "not_running") {
        const state = ended.rollout ? `its last rollout is ${ended.rollout.status}` : "it has no rollout";
        throw new Conflict(failure("validation", `no canary rollout runs on ${target.stack} to ${action}: ${state}`, "Look at the stack's rollout (GET .../rollout); a rollout runs only while a canary deployment is in progress."));
      }
      return { stack: target.stack, rollout: ended.rollout };
    });
  }
}

/** A stack's canary rollout: read it, abort it, or complete it now. */
export const rolloutRoutes: RouteModule = {
  routes: [
    "GET /v1/stacks/{project_id}/{environment}/rollout",
    "POST /v1/stacks/{project_id}/{environment}/rollout/abort",
    "POST /v1/stacks/{project_id}/{environment}/rollout/promote",
  ],
  register,
};
