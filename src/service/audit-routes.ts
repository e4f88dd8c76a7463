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
    summary: "The newest audit entries (of one project's stacks or one stack with admin on that project, or of all with admin on every project; of one action when asked), chained by hash, with the chain's verification (verification: of the project_id asked for, else of the token's projects, or the whole chain for a token of every project); verify=true also answers it as chain.",
    security: BEARER,
    parameters: [
      { name: "project_id", in: "query", required: false, schema: { type: "string" } },
      { name: "stack", in: "query", required: false, schema: { type: "string" } },
      { name: "action", in: "query", required: false, description: "Only entries of this action (deploy, rollback, promote, rollout_abort, ...).", schema: { type: "string", pattern: "^[a-z_]{1,32}$" } },
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } },
      { name: "verify", in: "query", required: false, schema: { type: "boolean" } },
    ],
    responses: {
      "200": {
        description: "The entries, oldest first; principals: the name of each token an entry names as its actor (token:<id> to name), beside the entries, which stay as hashed; verification: whether the chain is intact, how many entries it checked, and the first that breaks it; with verify=true the same as chain.",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                entries: { type: "array", items: { type: "object" } },
                principals: { type: "object", additionalProperties: { type: "string" } },
                verification: { type: "object", properties: { verified: { type: "boolean" }, entries: { type: "integer" }, first_broken: { type: "object", properties: { position: { type: "integer" }, reason: { type: "string" } } } }, required: ["verified", "entries"] },
              },
            },
          },
        },
      },
      "400": errorResponse("Invalid project id, stack, action or limit, or a stack outside the project asked for."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token is not admin of the project (or of every project)."),
    },
  }) }, async (request, reply) => {
    const query = request.query as { stack?: unknown; limit?: unknown; verify?: unknown; project_id?: unknown; action?: unknown };
    const stack = query.stack === undefined ? undefined : String(query.stack);
    const parts = stack === undefined ? null : stackParts(stack);
    if (stack !== undefined && !parts) throw new BadRequest(failure("validation", "stack: not a stack name (<project_id>.<environment>)", "Name a stack, or none for the whole trail."));
    const projectId = query.project_id === undefined ? undefined : String(query.project_id);
    if (projectId !== undefined && !identifierSchema.safeParse(projectId).success) throw new BadRequest(failure("validation", "project_id: not a project id", "Name a project, or none for the whole trail."));
    if (projectId !== undefined && parts && parts.projectId !== projectId) throw new BadRequest(failure("validation", `stack: not a stack of project '${projectId}'`, "Name a stack of the project asked for (<project_id>.<environment>)."));
    const action = query.action === undefined ? undefined : String(query.action);
    if (action !== undefined && !/^[a-z_]{1,32}$/.test(action)) throw new BadRequest(failure("validation", "action: an action name such as deploy, rollback or rollout_abort", "Name one action, or none for every action."));
    const limit = Number(query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequest(failure("validation", "limit: a whole number from 1 to 1000", "Ask for fewer entries."));
    // One stack's trail needs admin on its project; the whole trail, admin on every project.
    const principal = await authorized(context, request, reply, parts?.projectId ?? projectId ?? null, "admin");
    if (isReply(principal)) return principal;
    const pool = context.options.database.pool;
    const entries = await serviceAudit(pool, { stack, project: projectId, action, limit });
    // An admin of some projects verifies (and hears about) only their stacks' entries; the whole chain is for '*'. A
    // project asked for narrows it to that project's.
    const verified = await verifyServiceAudit(pool, projectId !== undefined ? { projects: [projectId] } : principal.projects.includes("*") ? {} : { projects: principal.projects });
    const chain = query.verify === "true" ? verified : undefined;
    const verification = { verified: verified.intact, entries: verified.entries, ...(verified.firstBad ? { first_broken: verified.firstBad } : {}) };
    // Each token an entry names (`actor: token:<id>`), with its name: beside the entries, which stay exactly as hashed.
    const tokenIds = [...new Set(entries.map((entry) => /^token:([0-9a-f]{16})$/.exec(entry.actor ?? "")?.[1]).filter((id): id is string => id !== undefined))];
    const names = await namesOf(pool, tokenIds);
    const principals = Object.fromEntries([...names].map(([id, name]) => [`token:${id}`, name]));
    return { entries, principals, verification, ...(chain ? { chain } : {}) };
  });
}

/** The audit trail of every machine's operations, kept in the service's database. */
export const auditRoutes: RouteModule = {
  routes: ["GET /v1/audit"],
  register,
};
