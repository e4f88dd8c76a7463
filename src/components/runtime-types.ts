import type { CanaryFigures, FailureResult } from "../outcome";
import type { RolloutSpec, StackSpec } from "../planner/spec";
import type { RolloutStatus } from "./local/supervisor-client";
import type { ReleaseIdentity } from "./release-identity-types";
import type { TrafficStep } from "./types";

/**
 * The shapes of a target's runtime: what a target does around the engine that no other target does (the local
 * target's supervisor, Cloud Run's stepped canary, the Docker engine's check). Apart from the table of each target's
 * runtime (runtimes.ts), so that the targets' runtimes and that table import one way.
 */

export type { RolloutStatus } from "./local/supervisor-client";

/** A canary rollout's spec. */
export type CanarySpec = Extract<RolloutSpec, { strategy: "canary" }>;

/** What a stepped canary needs of an engine update's result: the stack's outputs after it. */
export interface SteppedUpdate {
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** What a stepped canary needs from the world: engine updates, the serving revision, requests, time. */
export interface SteppedCanaryDeps<U extends SteppedUpdate = SteppedUpdate> {
  /** The revision serving before the rollout, from the stack's outputs; null on a first deploy. */
  currentRevision(): Promise<string | null>;
  /** One engine update at this traffic step (undefined: all traffic to the new revision). */
  update(step: TrafficStep | undefined): Promise<U>;
  /** One request to `url`: true when it answered 2xx/3xx. */
  probe(url: string): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  onProgress(line: string): void;
}

/** Where a stepped canary stopped and what it saw of the new revision. */
export interface SteppedCanaryAbort {
  readonly step: number;
  readonly weight_percent: number;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  readonly max_error_rate: number;
  readonly reason: string;
}

/** How a stepped canary ended: completed (the last update), or aborted with the update that took the traffic back. */
export type SteppedCanaryOutcome<U extends SteppedUpdate = SteppedUpdate> =
  | { readonly status: "completed"; readonly up: U }
  | { readonly status: "aborted"; readonly up: U; readonly abort: SteppedCanaryAbort; readonly stableRevision: string };

/** Traffic moved to a warm release ahead of the engine update that records it. */
export interface WarmSwitch {
  /** The warm release now serving. */
  readonly releaseId: string;
  /** Gives the traffic back to the release that served before (the update that should have recorded it failed). */
  switchBack(): Promise<void>;
}

/**
 * What one target does around the engine, as hooks the generic deploy, rollback and status code calls through
 * `TARGET_RUNTIMES[spec.target]`; a target without a hook has nothing to do there. `workspaceDir` is the workspace
 * the stack's local state lives in.
 */
export interface TargetRuntime {
  /** How an answer on the stack's URL proves it comes from the stack's release (health checks, status, canaries). */
  readonly identity: ReleaseIdentity;
  /** The target runs nothing but a packaged bundle: a spec without one stops at stage `package`. */
  readonly needsBundle?: boolean;
  /** Checks beyond the presence of credentials, before any engine process: a failure with stage `env_setup`, or null. */
  preflight?(env: NodeJS.ProcessEnv): Promise<FailureResult | null>;
  /**
   * Runs `during` (the engine update of a deploy), reporting the progress of the canary the target runs inside that
   * update through `onProgress`.
   */
  watchUpdate?<T>(workspaceDir: string, spec: StackSpec, onProgress: (line: string) => void, during: () => Promise<T>): Promise<T>;
  /** After an update failed its health check: the figures of its canary when the target aborted it, else null. */
  abortedCanary?(workspaceDir: string, spec: StackSpec): Promise<CanaryFigures | null>;
  /**
   * A canary whose traffic split lives in the target's own service: one engine update per step (made by `deps`), the
   * new revision checked between steps.
   */
  steppedCanary?<U extends SteppedUpdate>(rollout: CanarySpec, deps: SteppedCanaryDeps<U>): Promise<SteppedCanaryOutcome<U>>;
  /** The stack's current or last canary rollout, as the target reports it; null when there is none. */
  rollout?(workspaceDir: string, stack: string): Promise<RolloutStatus | null>;
  /** Aborts the stack's rollout in progress: the stable release takes all traffic back. True if one was aborted. */
  abortRollout?(workspaceDir: string, stack: string, reason: string): Promise<boolean>;
  /** Completes the stack's running rollout now: the new release takes all traffic. True if one was running. */
  promoteRollout?(workspaceDir: string, stack: string, reason: string): Promise<boolean>;
  /**
   * Instant rollback: moves the traffic to a release still running exactly what `spec` (with these secret values)
   * runs, before the engine update that records it; null when there is none to move to.
   */
  switchToWarmRelease?(workspaceDir: string, spec: StackSpec, secretValues: Readonly<Record<string, string>>): Promise<WarmSwitch | null>;
  /** When the stack's URL does not answer as the stack's: what the target knows about why (a clause to append), or "". */
  notServingNote?(workspaceDir: string, stack: string, url: string): Promise<string>;
}
