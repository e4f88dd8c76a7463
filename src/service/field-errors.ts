import type { FailureResult } from "../outcome";

/** One problem of a request, by the field it names: `build.port`, `environment.REGION`, or `request` for the whole. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** A field path as the planner writes it at the start of a problem: dotted names and indexes, no spaces. */
const FIELD_PROBLEM = /^([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*): (.+)$/s;

/**
 * The problems of a failure, each under the field it names, so a form can show each message beside its field. The
 * planner names the field at the start of every problem (`rollout: expected one of ...`); a problem that names none
 * is filed under `request`.
 */
export function fieldErrors(result: FailureResult): FieldError[] {
  const problems = result.problems && result.problems.length > 0 ? result.problems : [result.reason];
  return problems.map((problem) => {
    const named = FIELD_PROBLEM.exec(problem);
    return named ? { path: named[1]!, message: named[2]! } : { path: "request", message: problem };
  });
}

/** A failure result with its problems by field (`fields`), as the planning routes answer a request that does not plan. */
export function withFieldErrors(result: FailureResult): FailureResult & { readonly fields: readonly FieldError[] } {
  return { ...result, fields: fieldErrors(result) };
}

