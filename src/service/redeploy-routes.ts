import type { FastifyInstance, FastifyRequest } from "fastify";
import { summarizeStack } from "../automation/index";
import { failure } from "../outcome";
import { plan } from "../planner/index";
import { type ApiContext, isReply, type RouteModule, storable } from "./api-context";
import { queueOperation } from "./deployments";
import { withFieldErrors } from "./field-errors";
import { BadRequest, NotFound, Unavailable } from "./http-errors";
import { BEARER, errorResponse } from "./openapi";
import { routeSchema } from "./route-schema";
import { stackOf } from "./stack-routes";

const NO_SUCH_STACK = failure("validation", "no such stack", "List the stacks with GET /v1/stacks.");

/** A release name when the stack serves none: the planner's pattern, and says what it was. */
const DEFAULT_VERSION_NAME = "redeploy";

/** The body as an object (an absent body is an empty one), or null. */
function bodyObject(request: FastifyRequest): Record<string, unknown> | null {
  const body = request.body ?? {};
  return typeof body === "object" && body !== null && !Array.isArray(body) && storable(body) ? (body as Record<string, unknown>) : null;
}

function register(app: FastifyInstance, context: ApiContext): void {
  app.post("/v1/stacks/:project_id/:environment/redeploy", { schema: routeSchema(["stacks"], {
    summary: "Queue a redeploy: the spec of the stack's latest successful update is applied again (its bundle as it was), under the release name it serves unless another is given; the deployer defaults to the token's name.",
    security: BEARER,
    parameters: [
      { name: "project_id", in: "path", required: true, schema: { type: "string" } },
      { name: "environment", in: "path", required: true, schema: { type: "string" } },
      { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } },
    ],
    requestBody: {
      required: false,
      content: { "application/json": { schema: { type: "object", properties: { version_name: { type: "string", maxLength: 64 }, deployer_id: { type: "string", maxLength: 128 } }, additionalProperties: false } } },
    },
    responses: {
      "202": { description: "The redeploy queued: the record to follow like a deployment.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
      "200": { description: "The redeploy this Idempotency-Key queued before.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
      "400": errorResponse("Invalid version name or deployer (each under its field in `fields`)."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token may not deploy this project."),
      "404": errorResponse("No such stack for this token."),
      "503": errorResponse("This process runs no queue or reads no stacks."),
    },
  }) }, async (request, reply) => {
    const target = await stackOf(context, request, reply, "deploy");
    if (isReply(target)) return target;
    const body = bodyObject(request);
    if (!body) throw new BadRequest(failure("validation", "request: expected a JSON object", "Send {} or {\"version_name\": \"v3\"}."));
    const unknown = Object.keys(body).filter((key) => key !== "version_name" && key !== "deployer_id");
    if (unknown.length > 0) throw new BadRequest(withFieldErrors(failure("validation", `request: unknown field '${unknown[0]!.slice(0, 40)}'`, "Send only version_name and deployer_id.")));
    const key = request.headers["idempotency-key"];
    if (key !== undefined && (typeof key !== "string" || !/^[\x21-\x7e]{1,200}$/.test(key))) {
      throw new BadRequest(failure("validation", "Idempotency-Key: 1 to 200 printable characters", "Send a unique key per operation, e.g. a UUID."));
    }
    const workspace = context.options.workspace;
    const queue = context.options.queue;
    if (!workspace || !queue) throw new Unavailable(failure("env_setup", "this service process runs no deployment queue or reads no stacks", "Start the service with its queue and workspace ('deployment-planner serve')."));
    const summary = await summarizeStack(workspace, target.stack);
    if (!summary) throw new NotFound(NO_SUCH_STACK);
    // The redeploy shape the planner and the worker know: the worker resolves it against the stack's history.
    const redeploy = {
      project_id: target.projectId,
      target_env: target.environment,
      deployer_id: body.deployer_id ?? target.principal.name,
      version_name: body.version_name ?? summary.version_name ?? DEFAULT_VERSION_NAME,
    };
    const planned = plan(redeploy, { baseDir: context.baseDir });
    if (planned.status === "error") throw new BadRequest(withFieldErrors(planned));
    const queued = await queueOperation(context.options.database.pool, queue, {
      tokenId: target.principal.id,
      operation: "deploy",
      projectId: target.projectId,
      stack: target.stack,
      request: redeploy,
      idempotencyKey: key as string | undefined,
      notifier: context.options.notifier,
    });
    return reply.code(queued.created ? 202 : 200).header("location", `/v1/deployments/${queued.deployment.id}`).send(queued.deployment);
  });
}

/** Redeploying a stack's current spec. */
export const redeployRoutes: RouteModule = {
  routes: ["POST /v1/stacks/{project_id}/{environment}/redeploy"],
  register,
};
