import type { FastifyInstance } from "fastify";
import { failure } from "../outcome";
import { identifierSchema, stackNameFor } from "../planner/spec";
import { type ApiContext, authenticate, type RouteModule } from "./api-context";
import { forbidden, UNAUTHENTICATED } from "./api-errors";
import { BadRequest, Forbidden, Unauthenticated } from "./http-errors";
import { BEARER, errorResponse } from "./openapi";
import { recentDeployments } from "./repositories/deployments";
import { routeSchema } from "./route-schema";
import { allows } from "./tokens";

/** The most deployments one list answers, and how many it answers without a limit. */
const MAX_LIMIT = 200;
const DEFAULT_LIMIT = 50;

/** One deployment in a list: what it is, how it stands or ended, who asked for it; never its full result. */
export interface DeploymentListItem {
  readonly id: string;
  readonly operation: string;
  readonly project_id: string;
  readonly stack: string;
  readonly environment: string;
  readonly status: string;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** Who queued it (`token:<id>`, `hook:<name>`) and that principal's name. */
  readonly requested_by: string;
  readonly requested_by_name: string | null;
  readonly deployer: string | null;
  readonly version_name: string | null;
  /** The URL it left serving, when it succeeded with one. */
  readonly url: string | null;
  /** Where and why it failed, when it did. */
  readonly failure: { readonly stage: string; readonly reason: string; readonly fix_suggestion: string | null } | null;
}

const itemSchema = {
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    operation: { type: "string", enum: ["deploy", "rollback", "promote", "destroy"] },
    project_id: { type: "string" },
    stack: { type: "string" },
    environment: { type: "string" },
    status: { type: "string", enum: ["queued", "running", "succeeded", "failed", "superseded"] },
    created_at: { type: "string", format: "date-time" },
    started_at: { type: ["string", "null"], format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
    requested_by: { type: "string" },
    requested_by_name: { type: ["string", "null"] },
    deployer: { type: ["string", "null"] },
    version_name: { type: ["string", "null"] },
    url: { type: ["string", "null"] },
    failure: { oneOf: [{ type: "null" }, { type: "object", properties: { stage: { type: "string" }, reason: { type: "string" }, fix_suggestion: { type: ["string", "null"] } } }] },
  },
};

function register(app: FastifyInstance, context: ApiContext): void {
  app.get("/v1/deployments", { schema: routeSchema(["deployments"], {
    summary: `The newest deployments (and rollbacks, promotions, destroys) the token may read, newest first: at most ${MAX_LIMIT}, of one project or one environment when asked.`,
    security: BEARER,
    parameters: [
      { name: "project_id", in: "query", required: false, schema: { type: "string" } },
      { name: "environment", in: "query", required: false, description: "Only this environment's stack (with project_id).", schema: { type: "string" } },
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT } },
    ],
    responses: {
      "200": { description: "The deployments.", content: { "application/json": { schema: { type: "object", properties: { deployments: { type: "array", items: itemSchema } } } } } },
      "400": errorResponse("Invalid project id, environment or limit."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token may not read this project."),
    },
  }) }, async (request) => {
    const principal = await authenticate(context, request);
    if (!principal) throw new Unauthenticated(UNAUTHENTICATED);
    const query = request.query as { project_id?: unknown; environment?: unknown; limit?: unknown };
    const projectId = query.project_id === undefined ? null : query.project_id;
    const environment = query.environment === undefined ? null : query.environment;
    if (projectId !== null && !identifierSchema.safeParse(projectId).success) throw new BadRequest(failure("validation", "project_id: not a project id", "Pass a project id, or none for every project you may read."));
    if (environment !== null && (projectId === null || !identifierSchema.safeParse(environment).success)) {
      throw new BadRequest(failure("validation", "environment: an environment name, given with project_id", "Pass project_id and environment together, e.g. ?project_id=shop&environment=staging."));
    }
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new BadRequest(failure("validation", `limit: a whole number from 1 to ${MAX_LIMIT}`, "Ask for fewer deployments."));
    if (projectId !== null && !allows(principal, projectId as string, "read")) throw new Forbidden(forbidden("read", projectId as string));
    const rows = await recentDeployments(context.options.database.pool, {
      projects: principal.projects.includes("*") ? null : principal.projects,
      projectId: projectId as string | null,
      stack: environment === null ? null : stackNameFor(projectId as string, environment as string),
      limit,
    });
    return { deployments: rows.map(listItem) };
  });
}

/** A deployment record as a list shows it: its result reduced to the URL it serves or the failure's stage and reason. */
function listItem(row: Awaited<ReturnType<typeof recentDeployments>>[number]): DeploymentListItem {
  const result = row.result ?? {};
  const failed = row.status === "failed" && typeof result.stage === "string";
  return {
    id: row.id,
    operation: row.operation,
    project_id: row.project_id,
    stack: row.stack,
    environment: row.stack.slice(row.project_id.length + 1),
    status: row.status,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    requested_by: row.requested_by,
    requested_by_name: row.requested_by_name,
    deployer: row.deployer,
    version_name: row.version_name,
    url: row.status === "succeeded" && typeof result.url === "string" ? result.url : null,
    failure: failed
      ? { stage: result.stage as string, reason: String(result.reason ?? ""), fix_suggestion: typeof result.fix_suggestion === "string" ? result.fix_suggestion : null }
      : null,
  };
}

/** The list of recent deployments. */
export const deploymentListRoutes: RouteModule = {
  routes: ["GET /v1/deployments"],
  register,
};
