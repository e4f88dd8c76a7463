import type { QueuedOperation } from "./stack-operations";

/**
 * The shape of a deployment as the API reports it, apart from the deployment logic so that the `deployments`
 * repository, which builds it from a row, imports it one way.
 */

/** A deployment as the API reports it. */
export interface DeploymentRecord {
  readonly id: string;
  readonly project_id: string;
  readonly stack: string;
  /** What runs: a deployment request, or a rollback, promotion or destroy of the stack. */
  readonly operation: QueuedOperation;
  /** `superseded`: a newer deployment of the same preview replaced it before it started; it never runs. */
  readonly status: "queued" | "running" | "succeeded" | "failed" | "superseded";
  /** The operation's success or failure result, once finished. */
  readonly result: Record<string, unknown> | null;
  readonly attempts: number;
  readonly created_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** Who queued it, as the service verified it: `token:<id>` for an API token, `hook:<name>` for a webhook. */
  readonly requested_by: string;
  /** The name of who queued it: the token's name (`ci-shop`), or the webhook's; null for a token that no longer exists. */
  readonly requested_by_name: string | null;
  /** The deployer the request named (`deployer_id`): a label the caller chose, never who queued it. */
  readonly deployer: string | null;
  /**
   * The deployment request a `deploy` was submitted with (secret references, never values), when one deployment is
   * read; null for other operations. A person or script starts the next deployment from it.
   */
  readonly request?: Record<string, unknown> | null;
}
