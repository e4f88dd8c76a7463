/** The API's answers as the dashboard reads them (the fields it uses; the API may send more). */

/** What a history entry or summary says about one operation on a stack. */
export interface OperationFacts {
  readonly update: number | null;
  readonly operation: string;
  readonly description: string;
  readonly outcome: string;
  readonly version_name: string | null;
  readonly time: string;
  readonly by: string | null;
  readonly deployer: string | null;
}

/** A canary rollout as a stack reports it. */
export interface RolloutSummary {
  readonly status: "running" | "held" | "completed" | "aborted" | string;
  readonly reason?: string | null;
  readonly step?: number;
  readonly steps?: readonly number[];
  readonly weight?: number;
}

/** What answers a stack's URL now. */
export interface LiveRelease {
  readonly state: "serving" | "down" | "foreign" | "other_release" | "unhealthy" | string;
  readonly detail: string;
  readonly checked_url?: string;
}

/** One stack in `GET /v1/stacks`. */
export interface StackSummary {
  readonly stack: string;
  readonly project_id: string;
  readonly environment: string;
  readonly target: string;
  readonly update: number | null;
  readonly version: number | null;
  readonly version_name: string | null;
  readonly url: string | null;
  readonly serving: OperationFacts | null;
  readonly last_update: (OperationFacts & { readonly kind?: string; readonly result?: string }) | null;
  readonly destroyed: OperationFacts | null;
  readonly expires_at: string | null;
  readonly locked: boolean;
  readonly rollout: RolloutSummary | null;
  /** The names of who made the last update and who deployed what serves (a token's name), when the list gives them. */
  readonly last_update_by_name?: string | null;
  readonly serving_by_name?: string | null;
}

/** `GET /v1/stacks/{project}/{environment}`: the summary, the live check, the last rollout and the outputs. */
export interface StackDetail extends StackSummary {
  readonly last_rollout?: RolloutSummary | null;
  readonly live?: LiveRelease | null;
  readonly outputs: Readonly<Record<string, unknown>> | null;
}

/** One entry of `GET .../history`, newest first. */
export interface HistoryEntry {
  readonly update: number;
  readonly version: number;
  readonly kind: string;
  readonly result: string;
  readonly outcome: string;
  readonly operation: string;
  readonly description: string;
  readonly ranBy: string | null;
  readonly startTime: string;
  readonly endTime: string | null;
  readonly deployer: string | null;
  readonly versionName: string | null;
  readonly artifactDigest: string | null;
  /** The name of the principal who ran it (a token's name), when the service knows it. */
  readonly deployer_name?: string | null;
  /** Whether a rollback may return to it (succeeded, passed its health check, not serving now), as the service says. */
  readonly rollback_allowed?: boolean;
}

/** A queued operation's record (deploy, rollback, promote, destroy, redeploy): followed at /deployments/<id>. */
export interface DeploymentRecord {
  readonly id: string;
  readonly status: string;
}
