import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import type { SecretProvenance } from "../../secrets/types";
import type { ChangeSummary, PlannedStep, PlannerWorkspace, WorkspaceOptions } from "../workspace/index";

/** Options of `planAndDeploy`. */
export interface DeployOptions extends WorkspaceOptions {
  /** Directory a relative `source` in the request is resolved against; default the current directory. */
  readonly baseDir?: string;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Progress lines for a person (stages and resource-level engine events), secrets masked. */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** How long the deployed URL may take to pass its health check; default 30 s. */
  readonly healthTimeoutMs?: number;
  /** How long to wait for another operation on the stack; default 5 minutes. */
  readonly lockWaitMs?: number;
  /** A workspace opened earlier (skips opening one). */
  readonly workspace?: PlannerWorkspace;
  /**
   * The caller's key for this deployment: a repeated call with the same key and request within
   * `idempotencyWindowMs` returns the first call's result without running the engine again (a retried HTTP call,
   * a webhook delivered twice). The same key with a different request fails at stage `validation`.
   */
  readonly idempotencyKey?: string;
  /**
   * How many successful versions per stack keep their bundles in the artifact store (for rollback); default 10. Older
   * bundles no stack keeps are pruned after each successful update.
   */
  readonly retainVersions?: number;
  /** How long a key's result is kept; default 24 hours. */
  readonly idempotencyWindowMs?: number;
  /**
   * Run the engine even when the stack already serves this deployment, reading every resource's real state first
   * (`pulumi up --refresh`): the result's `drift` names what differed. By default a deployment whose spec, bundle and
   * secrets equal the stack's latest successful update, whose release proves it serves now, runs no engine.
   */
  readonly refresh?: boolean;
  /** A `preview_only` run leaves the stack file as it is (a preview the service shows before anything is deployed). */
  readonly keepStackFile?: boolean;
  /**
   * Who runs the deployment (a service token, a webhook), for the stack's history and the audit trail; default the
   * operating-system user running this process. The request's `deployer_id` is recorded beside it, as the deployer.
   */
  readonly actor?: string | null;
}

/**
 * The bundle of a deployment packaged before it runs: its digest, and how to put its bytes (verified against the
 * digest) into a bundles directory, answering the bundle's directory there; a mismatch is a `PackageError`.
 */
export interface AcceptedBundle {
  readonly digest: string;
  materialize(bundlesDir: string): Promise<string>;
}

/**
 * A deployment planned and packaged when it was accepted (by the service): the spec, planned once, its warnings and
 * its bundle (null when the spec names no source). Deploying it never plans again nor reads the source directory.
 */
export interface PinnedDeployment {
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
  readonly bundle: AcceptedBundle | null;
}

/** The success result of a deployment, plus what a caller needs to follow up. */
export interface DeploySuccess {
  readonly status: "success";
  readonly deployed_to: StackSpec["target"];
  readonly dashboard_url: string;
  readonly env_configured: boolean;
  readonly next_steps: readonly string[];
  readonly stack: string;
  readonly url: string;
  /** The stack's previous URL, when this update moved it (set only then): links to the old address are stale. */
  readonly url_changed_from?: string;
  readonly urls: Readonly<Record<string, string>>;
  /** Number of the update in the stack's history; roll back to it by this number. */
  readonly version: number;
  readonly version_name: string | null;
  readonly artifact_digest: string | null;
  readonly changes: ChangeSummary;
  /**
   * True when the stack already served this very deployment (same spec, bundle and secrets as its latest successful
   * update, whose release answered as itself just now): no engine ran, `changes` is empty and `version` is that
   * update's. Absent when the engine ran.
   */
  readonly converged?: boolean;
  /** With `refresh`: the resources found changed or gone outside the stack, which the update put back; empty for none. */
  readonly drift?: readonly string[];
  /** Where each secret came from; never a value. */
  readonly secrets: readonly SecretProvenance[];
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  /** The engine run's log; empty when no engine ran (`converged`). */
  readonly log_file: string;
}

/** What `deployment_type: preview_only` returns: the changes an `up` would make. */
export interface PreviewOnlyResult {
  readonly status: "previewed";
  readonly deployed_to: StackSpec["target"];
  readonly stack: string;
  readonly has_changes: boolean;
  readonly changes: ChangeSummary;
  readonly steps: readonly PlannedStep[];
  readonly env_configured: boolean;
  readonly next_steps: readonly string[];
  readonly warnings: readonly string[];
  readonly duration_ms: number;
  readonly log_file: string;
}

/** Result of `planAndDeploy`: never thrown, always one of these. */
export type DeployResult = DeploySuccess | PreviewOnlyResult | FailureResult;
