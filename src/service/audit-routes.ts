import type { FastifyInstance } from "fastify";
import { failure } from "../outcome";
import { identifierSchema } from "../planner/spec";
import { type ApiContext, authorized, isReply, type RouteModule } from "./api-context";
import { serviceAudit, verifyServiceAudit } from "./audit";
import { BEARER, errorResponse } from "./openapi";
import { BadRequest } from "./http-errors";
import { namesOf } from "./repositories/api-tokens";
import { routeSchema } from "./route-schema";

/** A stack name: `<project_id>.<environment>`. */
function stackParts(stack: string): { projectId: string } | null {
  const [projectId, environment, ...rest] = stack.split(".");
  if (rest.length > 0 || !identifierSchema.safeParse(projectId).success || !identifierSchema.safeParse(environment).success) return null;
  return { projectId: projectId! };
}

function register(app: FastifyInstance, context: ApiContext): void {
  app.get("/v1/audit", { schema: routeSchema(["audit"], {
    summary: "The newest audit entries (of one stack with admin on its project, or of all with admin on every project), chained by hash; verify=true also checks the chain (the whole chain for a token of every project; otherwise only the entries of the token's projects' stacks, positioned and counted among them).",
    security: BEARER,
    parameters: [
      { name: "stack", in: "query", required: false, schema: { type: "string" } },
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } },
      { name: "verify", in: "query", required: false, schema: { type: "boolean" } },
    ],
    responses: {
      "200": { description: "The entries, oldest first; principals: the name of each token an entry names as its actor (token:<id> to name), beside the entries, which stay as hashed; with verify=true whether the chain is intact." },
      "400": errorResponse("Invalid stack or limit."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token is not admin of the project (or of every project)."),
    },
  }) }, async (request, reply) => {
    const query = request.query as { stack?: unknown; limit?: unknown; verify?: unknown };
    const stack = typeof query.stack === "string" ? query.stack : undefined;
    const parts = stack === undefined ? null : stackParts(stack);
    if (stack !== undefined && !parts) throw new BadRequest(failure("validation", "stack: not a stack name (<project_id>.<environment>)", "Name a stack, or none for the whole trail."));
    const limit = Number(query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequest(failure("validation", "limit: a whole number from 1 to 1000", "Ask for fewer entries."));
    // One stack's trail needs admin on its project; the whole trail, admin on every project.
    const principal = await authorized(context, request, reply, parts?.projectId ?? null, "admin");
    if (isReply(principal)) return principal;
    const pool = context.options.database.pool;
    const entries = await serviceAudit(pool, { stack, limit });
    // An admin of some projects verifies (and hears about) only their stacks' entries; the whole chain is for '*'.
    const chain = query.verify === "true" ? await verifyServiceAudit(pool, principal.projects.includes("*") ? {} : { projects: principal.projects }) : undefined;
    // Each token an entry names (`actor: token:<id>`), with its name: beside the entries, which stay exactly as hashed.
    const tokenIds = [...new Set(entries.map((entry) => /^token:([0-9a-f]{16})$/.exec(entry.actor ?? "")?.[1]).filter((id): id is string => id !== undefined))];
    const names = await namesOf(pool, tokenIds);
    const principals = Object.fromEntries([...names].map(([id, name]) => [`token:${id}`, name]));
    return { entries, principals, ...(chain ? { chain } : {}) };
  });
}

/** The audit trail of every machine's operations, kept in the service's database. */
export const auditRoutes: RouteModule = {
  routes: ["GET /v1/audit"],
  register,
};
