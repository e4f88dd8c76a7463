import { randomUUID } from "node:crypto";
import http from "node:http";
import { answerInjected, FailureQueue, serveFake, type FakeControls } from "./failures";
import { checkRequest, executeChecked, railwaySchema, type GraphQLBody } from "./railway/schema";
import { FakeRailwayWorld, type Principal } from "./railway/world";

/** How one request authenticated. */
export type FakeAuth = "bearer" | "project-access-token" | "none";

/** One request the fake answered (or refused as invalid). */
export interface FakeRailwayRequest {
  readonly operation: string;
  readonly auth: FakeAuth;
  readonly variables: Record<string, unknown>;
}

/** The account behind the fake's account token: its own workspace and a team workspace. */
export const FAKE_WORKSPACES = { personal: "workspace-personal", team: "workspace-team" } as const;

/**
 * A FAKE of the part of Railway's public GraphQL API this product uses, kept in memory on loopback. It stands in for
 * Railway, which cannot be reached from the test machine, and holds itself to Railway's own schema (vendored from
 * Railway's CLI in `railway/`): every request is parsed, validated and its variables coerced against the schema,
 * and refused with GraphQL errors (HTTP 400) when any of that fails; every answer is produced by executing the
 * request on the schema, and an answer the schema does not allow is recorded in `faults` (and answered 500).
 *
 * Authentication is Railway's: the account token as `Authorization: Bearer` (it may create projects), a project
 * token minted by `mintProjectToken` in the `project-access-token` header (bound to one environment of one project);
 * anything else is answered "Not Authorized". It can answer the next calls with an injected HTTP status or not at
 * all, before or after carrying them out; `failNext` selects the calls whose operation name equals its `match`.
 */
export interface FakeRailway extends FakeControls {
  readonly url: string;
  readonly world: FakeRailwayWorld;
  /** Operation names of the valid requests, in order. */
  readonly calls: string[];
  readonly requests: FakeRailwayRequest[];
  /** Answers of the fake that broke Railway's schema; a test fails when there are any. */
  readonly faults: string[];
  /** A project token for one environment of a project. */
  mintProjectToken(projectId: string, environmentId: string): string;
}

/** Starts the fake on a free loopback port; `accountToken` is the one account or workspace token it accepts. */
export async function startFakeRailway(accountToken: string): Promise<FakeRailway> {
  // Built before the first request, so building it never counts against a client's timeout.
  railwaySchema();
  const world = new FakeRailwayWorld();
  const projectTokens = new Map<string, { projectId: string; environmentId: string }>();
  const calls: string[] = [];
  const requests: FakeRailwayRequest[] = [];
  const faults: string[] = [];
  const failures = new FailureQueue((operation, call) => operation === call);

  const principalOf = (req: http.IncomingMessage): { auth: FakeAuth; principal: Principal } => {
    const projectToken = req.headers["project-access-token"];
    if (typeof projectToken === "string") {
      const scope = projectTokens.get(projectToken);
      return { auth: "project-access-token", principal: scope ? { kind: "project", ...scope } : { kind: "none", refusal: "Project Token not found" } };
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (bearer === undefined) return { auth: "none", principal: { kind: "none", refusal: "Not Authorized" } };
    // A project token sent as a bearer token is refused, as Railway refuses it.
    if (bearer !== accountToken) return { auth: "bearer", principal: { kind: "none", refusal: "Not Authorized" } };
    return { auth: "bearer", principal: { kind: "account", personal: FAKE_WORKSPACES.personal, workspaces: Object.values(FAKE_WORKSPACES) } };
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    const { auth, principal } = principalOf(req);
    let body: GraphQLBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as GraphQLBody;
    } catch {
      return json(400, { errors: [{ message: "Body is not JSON" }] });
    }
    const checked = checkRequest(body);
    if ("errors" in checked) {
      requests.push({ operation: String(body.operationName ?? "(invalid)"), auth, variables: {} });
      return json(400, { errors: checked.errors.map((message) => ({ message })) });
    }
    calls.push(checked.operationName);
    requests.push({ operation: checked.operationName, auth, variables: checked.variables });
    const failure = failures.take(checked.operationName);
    const injected = { errors: [{ message: "injected failure" }] };
    const plan = failure && failure.answer === 429 ? { ...failure, headers: { "retry-after": "0", ...failure.headers } } : failure;
    if (plan && !plan.afterActing) return answerInjected(res, plan, injected);
    const answer = await executeChecked(checked, world.root, principal);
    faults.push(...answer.faults);
    // After acting, the operation has done its work and the injected answer takes the place of its own.
    if (plan) return answerInjected(res, plan, injected);
    if (answer.faults.length > 0) return json(500, { errors: answer.faults.map((message) => ({ message })) });
    return json(200, answer.result);
  });
  const { origin, controls } = await serveFake(server, failures);
  return {
    url: `${origin}/graphql/v2`,
    world,
    calls,
    requests,
    faults,
    mintProjectToken: (projectId, environmentId) => {
      const token = `fake-project-token-${randomUUID()}`;
      projectTokens.set(token, { projectId, environmentId });
      return token;
    },
    ...controls,
  };
}
