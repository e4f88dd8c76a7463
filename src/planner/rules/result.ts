import { failure, type FailureResult } from "../../outcome";
import type { Catalog, Technology } from "../catalog";
import type { DeploymentRequest } from "../request";
import type { Decision, EnvironmentTier, Target } from "../spec";

/**
 * What one rule decided: its value, the decisions it records (with reasons, for `plan --explain`), the warnings it
 * raises and the next steps it leaves the user.
 */
export interface RuleResult<T> {
  readonly value: T;
  readonly decisions: readonly Decision[];
  readonly warnings: readonly string[];
  readonly nextSteps: readonly string[];
}

/** A rule's answer: a result, or a failure result when the request cannot be planned as asked. */
export type RuleOutcome<T> = RuleResult<T> | FailureResult;

/** Builds a rule result; the notes not given are empty. */
export function ruled<T>(value: T, notes: { decisions?: readonly Decision[]; warnings?: readonly string[]; nextSteps?: readonly string[] } = {}): RuleResult<T> {
  return { value, decisions: notes.decisions ?? [], warnings: notes.warnings ?? [], nextSteps: notes.nextSteps ?? [] };
}

/** Builds a rule result that records one decision. */
export function decided<T>(value: T, topic: string, choice: string, reason: string, notes: { warnings?: readonly string[]; nextSteps?: readonly string[] } = {}): RuleResult<T> {
  return ruled(value, { ...notes, decisions: [{ topic, choice, reason }] });
}

/** Collects the decisions, warnings and next steps of the rules in the order they run, and hands back their values. */
export class RuleLog {
  readonly decisions: Decision[] = [];
  readonly warnings: string[] = [];
  readonly nextSteps: string[] = [];

  /** Records a result's notes and returns its value; `lead` puts its next steps before those recorded so far. */
  take<T>(result: RuleResult<T>, steps: "append" | "lead" = "append"): T {
    this.decisions.push(...result.decisions);
    this.warnings.push(...result.warnings);
    if (steps === "lead") this.nextSteps.unshift(...result.nextSteps);
    else this.nextSteps.push(...result.nextSteps);
    return result.value;
  }
}

/** The fix given with every request-validation failure. */
export const VALIDATION_FIX =
  "Fix the fields named in the reason; the request's JSON Schema, schemas/request.schema.json in the deployment-planner package, describes every field and value.";

/** A failure result at stage `validation` for a list of `field: message` problems (the first is the reason). */
export function validationFailure(problems: readonly string[], fix = VALIDATION_FIX): FailureResult {
  return failure("validation", problems[0] ?? "request is invalid", fix, { problems: [...problems] });
}

/** What the rules work on: the request with its technologies resolved against the catalog. */
export interface Intent {
  readonly request: DeploymentRequest;
  readonly catalog: Catalog;
  readonly technologies: readonly Technology[];
  readonly tier: EnvironmentTier;
  /** Environment name: the tier, or the tier with the request's NAME as a suffix. */
  readonly environment: string;
}

/** An intent once the target is chosen; the rules after the target rule work on this. */
export interface TargetedIntent extends Intent {
  readonly target: Target;
}

/** "; did you mean 'a' or 'b'?" for a list of suggestions, or nothing when there are none. */
export function didYouMean(suggestions: readonly string[]): string {
  return suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(" or ")}?` : "";
}
