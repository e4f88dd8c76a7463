import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { failure } from "../outcome";
import { type ApiContext, authenticate, type RouteModule } from "./api-context";
import { BadRequest, Unauthenticated } from "./http-errors";
import { errorResponse } from "./openapi";
import { routeSchema } from "./route-schema";
import { DEFAULT_SESSION_TTL_SECONDS, endSession, requestSession, sessionBody, sessionCookie, startSession, type LiveSession } from "./sessions";
import { verifyToken } from "./tokens";

/** The session as every session route answers it. */
const SESSION_SCHEMA = {
  type: "object",
  required: ["principal", "csrf_token", "expires_at"],
  properties: {
    principal: {
      type: "object",
      description: "The token the session acts as.",
      required: ["id", "name", "scope", "projects"],
      properties: {
        id: { type: "string" },
        name: { type: "string" },
        scope: { type: "string", enum: ["read", "deploy", "admin"] },
        projects: { type: "array", items: { type: "string" } },
      },
    },
    csrf_token: { type: "string", description: "Send it in X-CSRF-Token with every request that changes anything while signed in with the cookie." },
    expires_at: { type: "string", format: "date-time" },
  },
};

const SESSION_RESPONSE = { "application/json": { schema: SESSION_SCHEMA } };

/** The refusal of a session route without a live session cookie. */
const NO_SESSION = failure("access", "no session: this request carries no live dp_session cookie", "Sign in again with POST /v1/sessions and an API token.");

/** Whether the request came over TLS (directly, or as the trusted proxy's `X-Forwarded-Proto` says). */
function overTls(request: FastifyRequest): boolean {
  return request.protocol === "https";
}

/** The session the request's cookie names; otherwise throws `Unauthenticated` (401). */
async function currentSession(context: ApiContext, request: FastifyRequest): Promise<LiveSession> {
  await authenticate(context, request);
  const session = requestSession(request);
  if (!session) throw new Unauthenticated(NO_SESSION);
  return session;
}

function register(app: FastifyInstance, context: ApiContext): void {
  const pool = context.options.database.pool;
  const ttlSeconds = context.options.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;

  app.post("/v1/sessions", { schema: routeSchema(["sessions"], {
    summary: "Signs in with an API token: answers the session (principal, CSRF token, expiry) and sets the dp_session cookie (HttpOnly, SameSite=Strict, Secure over TLS) that stands for the token until the session expires, is signed out, or the token is revoked.",
    requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["token"], properties: { token: { type: "string", maxLength: 200, description: "An API token (dp_...)." } } } } } },
    responses: {
      "201": { description: "Signed in: the session, and its cookie in Set-Cookie.", content: SESSION_RESPONSE },
      "400": errorResponse("The body is not {\"token\": \"dp_...\"}."),
      "401": errorResponse("The token is unknown, wrong or revoked."),
    },
  }) }, async (request, reply) => {
    const body = request.body;
    const token = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { token?: unknown }).token : undefined;
    if (typeof token !== "string" || token.length === 0 || token.length > 200) {
      throw new BadRequest(failure("validation", "token: required, an API token (dp_...) as a JSON string", "Send {\"token\": \"dp_...\"} with 'content-type: application/json'."));
    }
    const principal = await verifyToken(pool, token.trim());
    if (!principal) throw new Unauthenticated(failure("access", "token: not a live API token (unknown, wrong or revoked)", "Sign in with a token from 'deployment-planner tokens create' that has not been revoked."));
    // Signing in again replaces the browser's session: the one its cookie held ends here rather than at its expiry.
    await authenticate(context, request);
    const previous = requestSession(request);
    if (previous) await endSession(pool, previous);
    const session = await startSession(pool, principal, ttlSeconds);
    return answer(reply.code(201).header("set-cookie", sessionCookie(session.id, ttlSeconds, overTls(request))), session);
  });

  app.get("/v1/sessions/current", { schema: routeSchema(["sessions"], {
    summary: "The session the dp_session cookie names: its principal, CSRF token and expiry.",
    responses: {
      "200": { description: "The live session.", content: SESSION_RESPONSE },
      "401": errorResponse("No live session cookie (none, expired, signed out, or its token revoked)."),
    },
  }) }, async (request, reply) => answer(reply, await currentSession(context, request)));

  app.delete("/v1/sessions/current", { schema: routeSchema(["sessions"], {
    summary: "Signs out: ends the session the dp_session cookie names and clears the cookie. Needs the session's X-CSRF-Token.",
    parameters: [{ name: "X-CSRF-Token", in: "header", required: true, description: "The session's csrf_token." }],
    responses: {
      "204": { description: "Signed out; the cookie is cleared." },
      "401": errorResponse("No live session cookie."),
      "403": errorResponse("The X-CSRF-Token header is missing or not the session's."),
    },
  }) }, async (request, reply) => {
    const session = await currentSession(context, request);
    await endSession(pool, session);
    return reply.code(204).header("set-cookie", sessionCookie("", 0, overTls(request))).header("cache-control", "no-store").send();
  });
}

/** Answers `session`; never stored by a cache, since it carries the CSRF token. */
function answer(reply: FastifyReply, session: LiveSession) {
  return reply.header("cache-control", "no-store").send(sessionBody(session));
}

/** Dashboard sign-in: an API token exchanged for a session cookie, the current session, and signing out. */
export const sessionRoutes: RouteModule = {
  routes: ["POST /v1/sessions", "GET /v1/sessions/current", "DELETE /v1/sessions/current"],
  register,
};
