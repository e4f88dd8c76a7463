import path from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { deployPinned, type AcceptedBundle } from "../automation/index";
import { failure, isFailure, type FailureResult } from "../outcome";
import { unpackArchive } from "../packager/archive";
import { plan } from "../planner/index";
import { acceptDeployment } from "./acceptance";
import { type ApiContext, checkedRequest, type RouteModule } from "./api-context";
import { sendFailure } from "./api-errors";
import { withFieldErrors } from "./field-errors";
import { withRelativeSource } from "./grants";
import { apiErrorFor, RateLimited, Unavailable } from "./http-errors";
import { BEARER, errorResponse } from "./openapi";
import { routeSchema } from "./route-schema";
import { servicePrincipal } from "./stack-operations";

/** The longest an engine preview may take, waiting for the stack's lock included. */
const PREVIEW_TIMEOUT_MS = 120_000;
/** How long a preview waits for an operation that holds the stack. */
const PREVIEW_LOCK_WAIT_MS = 10_000;
/** Engine previews one service process runs at once, and one token at once: each is an engine run. */
const MAX_PREVIEWS = 2;
const MAX_PREVIEWS_PER_TOKEN = 1;

/** Counts the engine previews running, in all and per token, and refuses one more beyond the limits. */
class PreviewSlots {
  private total = 0;
  private readonly byToken = new Map<string, number>();

  /** Takes a slot for `tokenId`, or throws `RateLimited` (429) when the service or the token runs enough already. */
  take(tokenId: string): () => void {
    const own = this.byToken.get(tokenId) ?? 0;
    if (this.total >= MAX_PREVIEWS || own >= MAX_PREVIEWS_PER_TOKEN) {
      const whose = own >= MAX_PREVIEWS_PER_TOKEN ? "this token already runs a preview" : `this service already runs ${MAX_PREVIEWS} previews`;
      throw new RateLimited(failure("access", `preview: ${whose}`, "Try again in a few seconds, once the running preview has answered."));
    }
    this.total += 1;
    this.byToken.set(tokenId, own + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.byToken.get(tokenId) ?? 1) - 1;
      if (left > 0) this.byToken.set(tokenId, left);
      else this.byToken.delete(tokenId);
    };
  }
}

const NO_WORKSPACE = failure("env_setup", "this service process reads no stacks", "Start the API with its workspace ('deployment-planner serve --workspace <dir>').");

/** A request that does not plan: 422 with each problem under the field it names. */
function sendUnplanned(reply: FastifyReply, result: FailureResult): FastifyReply {
  return reply.code(422).type("application/json").send(withFieldErrors(result));
}

function register(app: FastifyInstance, context: ApiContext): void {
  const slots = new PreviewSlots();
  app.post("/v1/preview", { schema: routeSchema(["deployments"], {
    summary: "Plan a deployment request and run the engine's preview of it (what an update would create, update, replace or delete); nothing is deployed or queued. The same checks as POST /v1/deployments (deploy scope, granted source and secrets).",
    security: BEARER,
    requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/DeploymentRequest" } } } },
    responses: {
      "200": {
        description: "The plan (as POST /v1/plan answers it) and the engine's preview.",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                plan: { $ref: "#/components/schemas/PlanResult" },
                preview: {
                  type: "object",
                  properties: {
                    has_changes: { type: "boolean" },
                    changes: { type: "object", properties: { create: { type: "integer" }, update: { type: "integer" }, replace: { type: "integer" }, delete: { type: "integer" }, same: { type: "integer" } } },
                    steps: { type: "array", items: { type: "object", properties: { op: { type: "string" }, type: { type: "string" }, name: { type: "string" } } } },
                    warnings: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
      "400": errorResponse("The body is not a JSON object, or names a source or secret the project is not granted."),
      "401": errorResponse("No valid token."),
      "403": errorResponse("The token may not deploy this project."),
      "413": errorResponse("The body is too large, or the source more than a bundle may hold."),
      "429": errorResponse("Too many requests for this token, or this token (or the service) already runs as many previews as it may at once."),
      "422": errorResponse("The request does not plan (each problem also under its field in `fields`: [{path, message}], the path dotted such as build.port), or the preview failed (its stage and reason)."),
      "503": errorResponse("This process reads no stacks."),
    },
  }) }, async (request, reply) => {
    const checked = await checkedRequest(context, request, reply, "deploy", true);
    const { principal, body } = checked;
    const planned = plan(body, { baseDir: context.baseDir });
    if (planned.status === "error") return sendUnplanned(reply, planned);
    if (planned.status === "redeploy") {
      return sendUnplanned(reply, failure("validation", "request: a redeploy request has no preview of its own (it applies the stack's current spec again)", "Preview a full deployment request, or redeploy the stack."));
    }
    const workspace = context.options.workspace;
    if (!workspace) throw new Unavailable(NO_WORKSPACE);
    // Checked and packaged as POST /v1/deployments would: the preview is of exactly what a deployment would deploy.
    const accepted = await acceptDeployment(body, { grant: context.grants.grantFor(typeof body.project_id === "string" ? body.project_id : null), baseDir: context.baseDir });
    if ("failure" in accepted) {
      if (accepted.failure.stage === "validation" && accepted.status === 400) return sendUnplanned(reply, accepted.failure);
      throw apiErrorFor(accepted.status, accepted.failure);
    }
    if (!accepted.planned) return sendUnplanned(reply, failure("validation", "request: nothing to preview", "Preview a full deployment request."));
    const archive = accepted.bundle;
    const bundle: AcceptedBundle | null = archive ? { digest: archive.digest, materialize: (bundlesDir) => unpackArchive(archive.archive, archive.digest, bundlesDir) } : null;
    const release = slots.take(principal.id);
    const previewed = await deployPinned(
      { spec: { ...accepted.planned.spec, deployment_type: "preview_only" }, warnings: accepted.planned.warnings, bundle },
      {
        workspace,
        baseDir: context.baseDir,
        actor: servicePrincipal(principal.id),
        signal: AbortSignal.timeout(PREVIEW_TIMEOUT_MS),
        lockWaitMs: PREVIEW_LOCK_WAIT_MS,
        keepStackFile: true,
      },
    ).finally(release);
    if (isFailure(previewed)) return sendFailure(reply, previewed);
    if (previewed.status !== "previewed") return sendFailure(reply, failure("internal", "the preview deployed instead of previewing", "Report it to the operator."), 500);
    // The planner resolves the source as a worker would; the caller sees it relative to its granted directory.
    const resolvedSource = typeof body.source === "string" ? path.resolve(context.baseDir, body.source) : null;
    const planResult = checked.source && resolvedSource ? withRelativeSource(planned, resolvedSource, checked.source.dir, checked.source.root) : planned;
    return { plan: planResult, preview: { has_changes: previewed.has_changes, changes: previewed.changes, steps: previewed.steps, warnings: previewed.warnings } };
  });
}

/** The engine's preview of a deployment request, before anything is deployed. */
export const previewRoutes: RouteModule = {
  routes: ["POST /v1/preview"],
  register,
};
