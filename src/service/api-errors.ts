import type { FastifyReply } from "fastify";
import { failure, type FailureResult, type FailureStage } from "../outcome";

/** HTTP status of a failure the API answers: the caller's mistakes are 4xx, only a bug is 5xx. */
export function httpStatusFor(result: FailureResult): number {
  const byStage: Record<FailureStage, number> = {
    validation: 400,
    access: 403,
    plan: 422,
    env_setup: 422,
    package: 422,
    deploy: 502,
    verify: 502,
    rollback: 409,
    internal: 500,
  };
  return byStage[result.stage];
}

/** Sends a failure result with a status of its own (401, 403, 404, 413, 429) or the stage's. */
export function sendFailure(reply: FastifyReply, result: FailureResult, status = httpStatusFor(result)): FastifyReply {
  return reply.code(status).type("application/json").send(result);
}

/** The failure result for a request without a valid bearer token. */
export const UNAUTHENTICATED = failure("access", "authentication required: send 'Authorization: Bearer <token>' with a live API token", "Create a token with 'deployment-planner tokens create' and send it as a bearer token.");

/** The failure result for a token outside its projects or scope. */
export function forbidden(needed: string, projectId: string | null): FailureResult {
  return failure(
    "access",
    `this token may not ${needed === "read" ? "read" : needed} ${projectId === null ? "across projects" : `project '${projectId}'`}`,
    "Use a token created for this project with the needed scope (read < deploy < admin).",
  );
}
