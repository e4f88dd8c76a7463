/**
 * The result shapes of the public API: a success result, or the error object every failure carries (status,
 * reason, stage, fix_suggestion). Every public operation returns one of these instead of
 * throwing for an operational failure, so a caller can switch on `status` and `stage` without parsing text.
 */

/** Stages at which an operation can fail, in pipeline order. */
export const FAILURE_STAGES = [
  "validation", // the request document is malformed or breaks the schema
  "access", // the service's caller may not do this: no valid token or signature, another project or scope, over its rate
  "plan", // the request is valid but no target can host it as asked
  "env_setup", // secrets, credentials or target configuration are missing
  "package", // the source could not be turned into a bundle
  "deploy", // the Pulumi engine or a provider failed
  "verify", // the deployment came up but its health check failed
  "rollback", // restoring an earlier version failed
  "internal", // a bug: reported without internals, with a log file path
] as const;

/** A stage at which an operation can fail. */
export type FailureStage = (typeof FAILURE_STAGES)[number];

/** The error object every failure carries: status, reason, stage, fix_suggestion. */
export interface FailureResult {
  readonly status: "error";
  /** One line saying what is wrong, naming the field or resource and the bad value (never a secret). */
  readonly reason: string;
  readonly stage: FailureStage;
  /** What the user can do about it. */
  readonly fix_suggestion: string;
  /** Every problem found when there was more than one (the first is `reason`). */
  readonly problems?: readonly string[];
  /** Path of a log file with the full engine output, secrets masked. */
  readonly log_file?: string;
  /** What an aborted canary rollout observed of the new release (stage `verify`). */
  readonly canary?: CanaryFigures;
}

/** Where an aborted canary stopped and what it saw of the new release. */
export interface CanaryFigures {
  /** The step it stopped at, 1-based, and that step's share of the traffic in percent. */
  readonly step: number;
  readonly weight_percent: number | null;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  readonly max_error_rate: number;
  readonly reason: string | null;
}

/** Builds a failure result. */
export function failure(
  stage: FailureStage,
  reason: string,
  fixSuggestion: string,
  extra: { problems?: readonly string[]; log_file?: string; canary?: CanaryFigures } = {},
): FailureResult {
  return {
    status: "error",
    reason,
    stage,
    fix_suggestion: fixSuggestion,
    ...(extra.problems && extra.problems.length > 1 ? { problems: extra.problems } : {}),
    ...(extra.log_file ? { log_file: extra.log_file } : {}),
    ...(extra.canary ? { canary: extra.canary } : {}),
  };
}

/** True when a result is a failure result. */
export function isFailure(value: unknown): value is FailureResult {
  return typeof value === "object" && value !== null && (value as { status?: unknown }).status === "error";
}

/** Reasons of a failed engine run that another attempt may not meet: the network, a provider's throttling. */
const TRANSIENT_REASON = /\b(ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|socket hang up|timed out|throttl|rate exceeded|too many requests|429|502|503|504|temporarily unavailable)\b/i;

/**
 * Whether a failed result is worth another attempt: only an engine run that met a transient condition. A validation,
 * plan, env_setup or package failure, a failed check or a refused rollback is the same the next time.
 */
export function isTransientFailure(result: unknown): boolean {
  if (typeof result !== "object" || result === null) return false;
  const { status, stage, reason } = result as { status?: unknown; stage?: unknown; reason?: unknown };
  if (status !== "error") return false;
  return stage === "deploy" && typeof reason === "string" && TRANSIENT_REASON.test(reason);
}
