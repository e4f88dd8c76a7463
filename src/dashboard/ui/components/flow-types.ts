import { ApiFailure, type FailureBody } from "../api";

/**
 * The shapes the deployment screens read from the public API: a deployment record and its result, a plan, a preview
 * and a canary rollout. Every field is read defensively: anything the API adds later is ignored, anything missing
 * shows as unknown rather than breaking a screen.
 */

/** The error object of every failed operation and refused request. */
export type FailureShape = {
  readonly status?: "error";
  readonly stage: string;
  readonly reason: string;
  readonly fix_suggestion?: string;
  /** Every problem when there was more than one, each `field.path: message`. */
  readonly problems?: readonly string[];
  readonly canary?: {
    readonly step: number;
    readonly weight_percent: number | null;
    readonly requests: number;
    readonly errors: number;
    readonly error_rate: number;
    readonly max_error_rate: number;
    readonly reason: string | null;
  };
};

/** A deployment as `GET /v1/deployments/{id}` reports it. */
export interface DeploymentRecord {
  readonly id: string;
  readonly project_id: string;
  readonly stack: string;
  readonly operation: string;
  /** `superseded`: a newer deployment of the same stack replaced it before it started; it never runs. */
  readonly status: "queued" | "running" | "succeeded" | "failed" | "superseded";
  readonly result: DeploymentResult | null;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly requested_by_name?: string | null;
  readonly deployer?: string | null;
  /** The request it was queued with, where the API reports it. */
  readonly request?: Record<string, unknown> | null;
}

/** A finished operation's result: a success (deploy, rollback, promote, destroy) or a failure. */
export type DeploymentResult = SuccessShape | (FailureShape & { readonly status: "error" });

/** What a successful operation reports; only `status` is certain, the rest depends on the operation. */
export interface SuccessShape {
  readonly status: "success" | "previewed" | string;
  readonly stack?: string;
  readonly url?: string;
  readonly version?: number;
  readonly version_name?: string | null;
  readonly next_steps?: readonly string[];
  readonly warnings?: readonly string[];
  readonly duration_ms?: number;
  readonly changes?: Readonly<Record<string, number>>;
  readonly url_changed_from?: string;
}

/** One entry of `GET /v1/deployments`. */
export interface DeploymentListItem {
  readonly id: string;
  readonly stack?: string;
  readonly status?: string;
  readonly operation?: string;
  readonly created_at?: string;
}

/** One decision the planner made, with its reason. */
export interface PlanDecision {
  readonly topic: string;
  readonly choice: string;
  readonly reason: string;
}

/** The part of a planned stack spec the plan summary shows. */
export interface PlannedSpec {
  readonly stack: string;
  readonly deployment_type: string;
  readonly target: string;
  readonly region: string;
  readonly build?: { readonly kind?: string; readonly framework?: string | null; readonly source?: string | null };
  readonly decisions?: readonly PlanDecision[];
  readonly next_steps?: readonly string[];
  readonly version_name?: string | null;
  readonly rollout?: { readonly strategy?: string; readonly steps?: readonly number[] };
}

/** `POST /v1/plan`'s answer for a request that plans. */
export type PlanAnswer =
  | { readonly status: "planned"; readonly spec: PlannedSpec; readonly warnings?: readonly string[] }
  | { readonly status: "redeploy"; readonly summary: string; readonly warnings?: readonly string[] };

/** One step an engine preview announces. */
export interface PreviewStep {
  readonly op: string;
  readonly type: string;
  readonly name: string;
}

/** `POST /v1/preview`'s answer: the plan and the engine's preview of it. */
export interface PreviewAnswer {
  readonly plan?: PlanAnswer | Record<string, unknown> | string;
  readonly preview: {
    readonly changes?: Readonly<Record<string, number>>;
    readonly steps?: readonly PreviewStep[];
  };
}

/** Requests and failures of one release during a canary rollout. */
export interface ReleaseCounts {
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
}

/** A canary rollout as `GET /v1/stacks/{p}/{env}/rollout` reports it. */
export interface RolloutShape {
  readonly status: "running" | "held" | "completed" | "aborted";
  readonly reason: string | null;
  readonly stable: string;
  readonly canary: string;
  readonly steps: readonly number[];
  readonly step: number;
  readonly weight: number;
  readonly step_interval_ms: number;
  readonly max_error_rate: number;
  readonly min_requests: number;
  readonly started_at: string;
  readonly step_started_at: string;
  readonly time_left_ms: number;
  readonly step_counts: { readonly canary: ReleaseCounts; readonly stable: ReleaseCounts };
  readonly total_counts: { readonly canary: ReleaseCounts; readonly stable: ReleaseCounts };
  readonly aborted_at?: string | null;
  readonly ended_at?: string | null;
}

/** A stack as `GET /v1/stacks` lists it (only what the new-deployment screen needs). */
export interface StackListItem {
  readonly project_id: string;
  readonly environment?: string;
  readonly stack?: string;
}

/** The failure an API call threw, or one in the same shape for anything else that went wrong in the page. */
export function failureOf(error: unknown): FailureBody {
  if (error instanceof ApiFailure) return error.failure;
  return {
    stage: "internal",
    reason: error instanceof Error ? `the page met an unexpected problem: ${error.message}` : "the page met an unexpected problem",
    fix_suggestion: "Reload the page; if it keeps happening, report it with the steps that led here.",
  };
}

/** Whether a value is a failure result. */
export function isFailureShape(value: unknown): value is FailureShape & { status: "error" } {
  return typeof value === "object" && value !== null && (value as { status?: unknown }).status === "error" && typeof (value as { reason?: unknown }).reason === "string";
}
