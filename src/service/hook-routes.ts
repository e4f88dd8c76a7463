import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { failure } from "../outcome";
import { resolveSecrets } from "../secrets/index";
import type { ApiContext, RouteModule } from "./api-context";
import type { AcceptedDeployment } from "./acceptance";
import { submitDeployment } from "./deployments";
import { DELIVERY_ID, deliveryJson, type DeliveryMeaning, genericMeaning, genericSignedPrefix, githubMeaning, githubPushKey, isFresh, matchingRules, parseTimestamp, pullRequestRules, signatureMatches, TIMESTAMP_TOLERANCE_SECONDS } from "./hook-checks";
import { receivePullRequest } from "./preview-deliveries";
import { gitHubAccess, type CommitCheckout } from "./preview-github";
import { acceptRuleDelivery } from "./rule-acceptance";
import { claimDelivery, forgetDelivery, settleDelivery } from "./repositories/hook-deliveries";
import { errorResponse } from "./openapi";
import { ApiError, BadRequest, Conflict, NotFound, Unauthenticated, Unavailable, Unprocessable } from "./http-errors";
import { routeSchema } from "./route-schema";

const NO_SUCH_HOOK = failure("validation", "no webhook is configured at this address", "Configure the hook in the service's configuration file, or use the address it gave you.");
const BAD_SIGNATURE = failure("access", "signature: missing, or not the HMAC-SHA256 of this delivery with the hook's secret", "Sign the raw body with the hook's secret and send 'sha256=<hex>'.");
const BAD_SIGNATURE_GENERIC = failure(
  "access",
  "signature: missing, or not the HMAC-SHA256 of '<X-Timestamp>.<X-Delivery-Id>.<body>' with the hook's secret",
  "Sign the timestamp, the delivery id and the raw body, joined by '.', with the hook's secret and send 'sha256=<hex>'.",
);
const SECRET_UNAVAILABLE = failure("env_setup", "this hook's secret cannot be resolved on the service", "Ask the service's operator to check the hook's secret reference.");
const NO_QUEUE = failure("env_setup", "this service runs no deployment queue", "Start the service with its queue ('deployment-planner serve').");
const REPLAYED = failure(
  "validation",
  "delivery: already received (a replay: this delivery id, or for a GitHub push the same repository, branch and head commit)",
  "Send each delivery once; push a new commit to deploy again, or redeploy through the API.",
);
const badDeliveryId = (header: string) => failure("validation", `${header}: 1 to 200 printable ASCII characters`, "Send a unique id per delivery.");

/** Who a hook's deployments are submitted as, per hook (the deployments table keys idempotency by it). */
const tokenIdOf = (source: string) => `hook:${source}`;

/** A delivery that passed its signature check: where it came from and what it means. */
interface Delivery {
  /** `github` or `generic:<name>`: the namespace of its delivery id. */
  readonly source: string;
  /** The `source` of the rules it may trigger. */
  readonly ruleSource: string;
  readonly id: string;
  readonly meaning: DeliveryMeaning;
  /** What makes a push the same push whatever its delivery id (GitHub: repository, ref, head commit); null: none. */
  readonly pushKey: string | null;
}

/** Resolves each secret reference once per API; a failed resolution is tried again on the next delivery. */
function secretResolver(baseDir: string): (ref: string) => Promise<string | null> {
  const cache = new Map<string, Promise<string | null>>();
  return (ref) => {
    const cached = cache.get(ref);
    if (cached) return cached;
    const pending = resolveSecrets([{ name: "HOOK_SECRET", ref, required_by: [] }], { projectId: "service", baseDir }).then(
      // An empty secret would let anyone sign, so it counts as none.
      (resolution) => (resolution.ok && resolution.secrets[0]!.value.length > 0 ? resolution.secrets[0]!.value : null),
      () => null,
    );
    cache.set(ref, pending);
    void pending.then((value) => value === null && cache.delete(ref));
    return pending;
  };
}

/** The raw body the content-type parser kept (none: empty), which is what the sender signed. */
const rawBody = (request: FastifyRequest): Buffer => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));

/**
 * Records the delivery (a replay is refused before anything else happens) and queues each matching rule's request:
 * all of them, or none when one cannot be queued. A thrown error forgets the delivery, so a redelivery can succeed.
 */
async function receive(context: ApiContext, reply: FastifyReply, delivery: Delivery): Promise<FastifyReply> {
  const pool = context.options.database.pool;
  const target = "target" in delivery.meaning ? delivery.meaning.target : null;
  const pullRequest = "pullRequest" in delivery.meaning ? delivery.meaning.pullRequest : null;
  const configuredRules = context.options.config?.hooks.rules ?? [];
  const rules = target ? matchingRules(configuredRules, delivery.ruleSource, target) : [];
  const queue = context.options.queue;
  // Checked before the delivery is recorded, so the sender may deliver it again once the queue runs.
  if ((rules.length > 0 || (pullRequest && pullRequestRules(configuredRules, delivery.ruleSource, pullRequest.repository).length > 0)) && !queue) throw new Unavailable(NO_QUEUE);
  const claimed = await claimDelivery(pool, delivery, delivery.pushKey);
  if (!claimed) throw new Conflict(REPLAYED);
  // The push stays claimed only once it queued something: an ignored or refused push may be delivered again after the
  // operator adds or fixes its rule.
  const settle = (outcome: string, deploymentId: string | null = null) => settleDelivery(pool, delivery, outcome, deploymentId);
  const key = `${delivery.source}:${delivery.id}`;
  let checkout: CommitCheckout | null = null;
  try {
    if (pullRequest) {
      const outcome = await receivePullRequest(context, { source: delivery.source, ruleSource: delivery.ruleSource, key }, pullRequest);
      if (outcome.kind === "unavailable") {
        // GitHub could not hand over the commit now: forgotten, so GitHub's redelivery of the same id is taken.
        await forgetDelivery(pool, delivery);
        throw new Unavailable(outcome.failure);
      }
      if (outcome.kind === "refused") {
        await settle(`refused: ${outcome.detail}`);
        throw new Unprocessable(outcome.failure);
      }
      if (outcome.kind === "ignored") {
        await settle("ignored");
        return reply.code(200).send({ status: "ignored", delivery_id: delivery.id, message: outcome.message, deployments: [] });
      }
      await settle("queued", outcome.deployments[0] ?? null);
      return reply.code(202).send({ status: "queued", delivery_id: delivery.id, message: outcome.message, deployments: outcome.deployments });
    }
    if (!target || rules.length === 0) {
      await settle("ignored");
      const message = "ignored" in delivery.meaning ? delivery.meaning.ignored : `no rule deploys ${target!.repository} branch '${target!.branch}'; nothing is queued`;
      return reply.code(200).send({ status: "ignored", delivery_id: delivery.id, message, deployments: [] });
    }
    // With GitHub's API, the pushed commit itself is deployed, not whatever the rule's directory holds.
    const access = delivery.ruleSource === "github" && target.commit !== undefined ? gitHubAccess(context.options.config) : null;
    if (access) {
      const fetched = await access.checkout(target.repository, target.commit!);
      if ("status" in fetched) {
        await forgetDelivery(pool, delivery);
        throw new Unavailable(fetched);
      }
      checkout = fetched;
    }
    // Every rule's request is planned, checked and packaged before any is queued: all of them, or none.
    const accepted: { request: Record<string, unknown>; deployment: AcceptedDeployment }[] = [];
    for (const rule of rules) {
      const prepared = await acceptRuleDelivery(rule, { ruleSource: delivery.ruleSource, repository: target.repository, commit: target.commit, checkout }, context.grants);
      if (!prepared.ok) {
        await settle(`refused: ${prepared.detail}`);
        throw new Unprocessable(prepared.failure);
      }
      accepted.push({ request: prepared.request, deployment: prepared.deployment });
    }
    const ids: string[] = [];
    for (const [index, { request, deployment }] of accepted.entries()) {
      // One key per rule: the deployments table keeps one deployment per (token, key).
      const idempotencyKey = index === 0 ? key : `${key}#${index + 1}`;
      const submitted = await submitDeployment(pool, queue!, { tokenId: tokenIdOf(delivery.source), request, accepted: deployment, idempotencyKey, notifier: context.options.notifier });
      ids.push(submitted.deployment.id);
    }
    await settle("queued", ids[0] ?? null);
    return reply.code(202).send({ status: "queued", delivery_id: delivery.id, message: `${ids.length} deployment(s) queued for ${target.repository} branch '${target.branch}'`, deployments: ids });
  } catch (error) {
    // A refusal the delivery was settled with stays recorded; anything else forgets it, so a redelivery can succeed.
    if (!(error instanceof ApiError)) await forgetDelivery(pool, delivery).catch(() => undefined);
    throw error;
  } finally {
    await checkout?.remove();
  }
}

function register(app: FastifyInstance, context: ApiContext): void {
  const hooks = context.options.config?.hooks;
  const secretOf = secretResolver(context.options.config?.baseDir ?? process.cwd());

  async function github(request: FastifyRequest, reply: FastifyReply) {
    if (!hooks?.github) throw new NotFound(NO_SUCH_HOOK);
    const secret = await secretOf(hooks.github.secret);
    if (secret === null) throw new Unavailable(SECRET_UNAVAILABLE);
    const body = rawBody(request);
    if (!signatureMatches(secret, request.headers["x-hub-signature-256"], body)) throw new Unauthenticated(BAD_SIGNATURE);
    const id = request.headers["x-github-delivery"];
    if (typeof id !== "string" || !DELIVERY_ID.test(id)) throw new BadRequest(badDeliveryId("X-GitHub-Delivery"));
    const event = request.headers["x-github-event"];
    if (typeof event !== "string" || !/^[a-z_]{1,64}$/.test(event)) {
      throw new BadRequest(failure("validation", "X-GitHub-Event: missing or not an event name", "Send GitHub's event header."));
    }
    const payload = deliveryJson(body, request.headers["content-type"], true);
    const meaning = payload === null ? null : githubMeaning(event, payload);
    if (meaning === null) {
      throw new BadRequest(failure("validation", `body: not a GitHub ${event} payload in JSON or form encoding`, "Deliver GitHub's payload as sent."));
    }
    return receive(context, reply, { source: "github", ruleSource: "github", id, meaning, pushKey: githubPushKey(meaning) });
  }

  async function generic(request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) {
    const hook = hooks?.generic.find((candidate) => candidate.name === request.params.name);
    if (!hook) throw new NotFound(NO_SUCH_HOOK);
    const timestamp = request.headers["x-timestamp"];
    const seconds = parseTimestamp(timestamp);
    if (seconds === null) throw new BadRequest(failure("validation", "X-Timestamp: missing or not unix seconds", "Send the signing time as unix seconds."));
    const secret = await secretOf(hook.secret);
    if (secret === null) throw new Unavailable(SECRET_UNAVAILABLE);
    const body = rawBody(request);
    const id = request.headers["x-delivery-id"];
    // The delivery id is signed too: one that could be changed after signing would let a captured delivery be queued
    // again under a fresh id within the timestamp's tolerance.
    if (!signatureMatches(secret, request.headers["x-signature-256"], genericSignedPrefix(timestamp as string, typeof id === "string" ? id : ""), body)) {
      throw new Unauthenticated(BAD_SIGNATURE_GENERIC);
    }
    if (!isFresh(seconds)) {
      throw new Unauthenticated(failure("access", `X-Timestamp: more than ${TIMESTAMP_TOLERANCE_SECONDS} s from the service's clock`, "Sign each delivery when sending it, with a synchronised clock."));
    }
    if (typeof id !== "string" || !DELIVERY_ID.test(id)) throw new BadRequest(badDeliveryId("X-Delivery-Id"));
    const meaning = genericMeaning(deliveryJson(body, request.headers["content-type"], false));
    if (meaning === null) {
      throw new BadRequest(
        failure(
          "validation",
          "body: expected JSON { repository, branch, commit? } for a push, or { repository, number, head_commit, action, fork? } for a pull request (commits: 7 to 64 hex digits; action: opened, reopened, synchronize or closed)",
          "Send the pushed repository and branch, or the pull request, as JSON.",
        ),
      );
    }
    return receive(context, reply, { source: `generic:${hook.name}`, ruleSource: hook.name, id, meaning, pushKey: null });
  }

  // Encapsulated, so only these routes take their body raw (the signature covers its exact bytes); the app's body
  // limit, error handler and rate limiter (per client address: hooks carry no token) still apply.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post("/v1/hooks/github", { schema: routeSchema(["hooks"], {
    summary: "GitHub webhook: a push to a branch with rules queues each rule's deployment request (version_name: the commit's first 12 characters, unless the request sets one); a pull request (opened, reopened, synchronize) of a repository whose rules set pull_requests deploys its head commit to preview-pr-<number>, and closed destroys that preview; ping and other events are answered and ignored. Authenticated by its signature, not a token.",
    parameters: [
      header("X-Hub-Signature-256", "'sha256=' and the hex HMAC-SHA256 of the raw body with the hook's secret.", { type: "string", pattern: "^sha256=[0-9a-fA-F]{64}$" }),
      header("X-GitHub-Delivery", "The delivery's id; a repeated one is refused, and so is the same push (repository, ref, head commit) under a new one.", { type: "string", maxLength: 200 }),
      header("X-GitHub-Event", "The event: push and pull_request deploy, ping and others are ignored."),
    ],
    requestBody: { required: true, content: { "application/json": { schema: { type: "object" } }, "application/x-www-form-urlencoded": { schema: { type: "object", properties: { payload: { type: "string" } } } } } },
    responses: { "202": { ...hookResult, description: "Queued; the ids of the deployments." }, "200": { ...hookResult, description: "Received and ignored (ping, another event, a deleted branch, no rule)." }, ...hookErrors },
  }) }, github);
    scope.post<{ Params: { name: string } }>("/v1/hooks/generic/:name", { schema: routeSchema(["hooks"], {
    summary: "A generic signed hook: queues the deployment request of each rule of this hook for the repository and branch (version_name: the commit's first 12 characters when one is sent and the request sets none). Authenticated by its signature, not a token.",
    parameters: [
      { name: "name", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$" } },
      header("X-Signature-256", "'sha256=' and the hex HMAC-SHA256 of '<X-Timestamp>.<X-Delivery-Id>.<raw body>' with the hook's secret.", { type: "string", pattern: "^sha256=[0-9a-fA-F]{64}$" }),
      header("X-Timestamp", `Unix seconds when it was signed; refused when more than ${TIMESTAMP_TOLERANCE_SECONDS} s from now.`, { type: "string", pattern: "^[0-9]{1,12}$" }),
      header("X-Delivery-Id", "The delivery's id (1 to 200 printable ASCII characters); a repeated one is refused.", { type: "string", minLength: 1, maxLength: 200 }),
    ],
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            oneOf: [
              {
                type: "object",
                description: "A push.",
                required: ["repository", "branch"],
                properties: { repository: { type: "string", maxLength: 200 }, branch: { type: "string", maxLength: 200 }, commit: { type: "string", pattern: "^[0-9a-fA-F]{7,64}$" } },
              },
              {
                type: "object",
                description: "A pull request: opened, reopened and synchronize deploy its head commit to preview-pr-<number>; closed destroys that preview.",
                required: ["repository", "number", "head_commit", "action"],
                properties: {
                  repository: { type: "string", maxLength: 200 },
                  number: { type: "integer", minimum: 1 },
                  head_commit: { type: "string", pattern: "^[0-9a-fA-F]{7,64}$" },
                  action: { enum: ["opened", "reopened", "synchronize", "closed"] },
                  fork: { type: "boolean", description: "Whether the head commit comes from another repository (a fork)." },
                  merged: { type: "boolean" },
                },
              },
            ],
          },
        },
      },
    },
    responses: { "202": { ...hookResult, description: "Queued; the ids of the deployments." }, "200": { ...hookResult, description: "Received; no rule matches, nothing is queued." }, ...hookErrors },
  }) }, generic);
  });
}

const hookResult = {
  description: "",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["status", "delivery_id", "message", "deployments"],
        properties: {
          status: { enum: ["queued", "ignored"] },
          delivery_id: { type: "string" },
          message: { type: "string" },
          deployments: { type: "array", items: { type: "string", format: "uuid" }, description: "The ids of the deployments queued (GET /v1/deployments/{id})." },
        },
      },
    },
  },
};

const hookErrors = {
  "400": errorResponse("A header or the body is malformed."),
  "401": errorResponse("The signature is missing or wrong (or the timestamp stale)."),
  "404": errorResponse("No such hook is configured."),
  "409": errorResponse("This delivery id (or, for a GitHub push, the same repository, ref and head commit) was received before (a replay)."),
  "413": errorResponse("The body is too large."),
  "422": errorResponse("A matching rule's deployment request cannot be planned; nothing is queued."),
  "429": errorResponse("Too many requests from this address."),
  "503": errorResponse("The hook's secret cannot be resolved, or no queue runs."),
};

const header = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({ name, in: "header", required: true, description, schema });

/** Signed webhooks that queue deployments (GitHub pushes, generic signed hooks). */
export const hookRoutes: RouteModule = {
  routes: ["POST /v1/hooks/github", "POST /v1/hooks/generic/{name}"],
  register,
};
