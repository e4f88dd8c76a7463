import type { Pool } from "pg";
import type { FailureResult } from "../outcome";
import type { ForkPolicy } from "./config";
import { queueOperation, type DeploymentNotifier } from "./deployments";
import type { JobQueue } from "./queue";
import { supersedeQueued } from "./repositories/deployments";
import { claimPreviewDestroy, previewsBeyondCap, type PreviewRecord, type PreviewState } from "./repositories/previews";
import type { StackOperationArgs } from "./stack-operations";

/**
 * The rules of pull-request previews: which environment a pull request deploys to, what a fork may do, and how a
 * preview is destroyed (on close, beyond its project's cap, after its time to live), always one destroy per preview.
 */

/** The environment a pull request's preview deploys to. */
export function previewEnvironment(number: number): string {
  return `preview-pr-${number}`;
}

/** Hours a preview lives after its last update when neither its request nor the catalog says otherwise. */
export const DEFAULT_PREVIEW_TTL_HOURS = 72;

/**
 * Destroys a preview gets after its last commit was queued before a failed one is left failed, for a person to look
 * at: the first (closed, the cap, the time to live) and the sweeper's retries.
 */
export const MAX_PREVIEW_DESTROY_ATTEMPTS = 3;

/** Who queues what the service itself decides about previews (the cap, the sweeper). */
export const PREVIEW_SERVICE_PRINCIPAL = "hook:previews";

/** What a pull request may deploy under its rule's `forks` policy. */
export type ForkDecision = { readonly deploy: false; readonly reason: string } | { readonly deploy: true; readonly withholdSecrets: boolean };

/** Whether (and how) a pull request is deployed: a fork's under `secretless` without secrets, under `refuse` not at all. */
export function forkDecision(policy: ForkPolicy, fork: boolean): ForkDecision {
  if (!fork || policy === "allow") return { deploy: true, withholdSecrets: false };
  if (policy === "refuse") return { deploy: false, reason: "pull requests from forks are not deployed here (forks: refuse)" };
  return { deploy: true, withholdSecrets: true };
}

/**
 * The request without its secret references, and the names withheld: a fork's code must never receive the
 * project's secrets, so each variable is simply not set (every reference resolves to nothing).
 */
export function withoutSecrets(request: Record<string, unknown>): { readonly request: Record<string, unknown>; readonly withheld: string[] } {
  const secrets = request.secrets;
  if (secrets === null || typeof secrets !== "object" || Array.isArray(secrets)) return { request, withheld: [] };
  const { secrets: _dropped, ...rest } = request;
  return { request: rest, withheld: Object.keys(secrets).sort() };
}

/** The note a secretless fork preview's plan and result carry. */
export function withheldSecretsNote(withheld: readonly string[]): string {
  return `fork pull request: secrets withheld (forks: secretless); ${withheld.length === 0 ? "the request names none" : `${withheld.join(", ")} ${withheld.length === 1 ? "is" : "are"} not set`}`;
}

/** What the pull request is told at each step of its preview (its comment and the head commit's status). */
export interface PreviewNotice {
  /** The hook the pull request came from (`github`, or a generic hook's name). */
  readonly source: string;
  readonly repository: string;
  readonly number: number;
  readonly commit: string;
  readonly stack: string;
  readonly state: PreviewState | "refused";
  readonly url: string | null;
  /** The release name (the commit's first 12 characters). */
  readonly version: string | null;
  /** The deployment's id, when one was queued. */
  readonly deploymentId: string | null;
  /** Why it failed or was refused: the stage, reason and fix. */
  readonly failure?: FailureResult;
  /** The plan's or the result's notes (secrets withheld, where the content came from). */
  readonly notes?: readonly string[];
  /** The finished deployment's result, for its plan summary (changes, replacements and deletions). */
  readonly result?: Record<string, unknown> | null;
}

/**
 * Tells a pull request about its preview; never throws and never waits for the remote side, so it cannot block or
 * fail a deployment.
 */
export type PreviewFeedback = (notice: PreviewNotice) => void;

/** Feedback that tells nobody: a service without GitHub's API, or a generic hook. */
export const NO_PREVIEW_FEEDBACK: PreviewFeedback = () => undefined;

/** What destroying a preview needs: the database, the queue, and whom to tell. */
export interface PreviewDestroyContext {
  readonly pool: Pool;
  readonly queue: JobQueue;
  readonly notifier?: DeploymentNotifier;
  readonly feedback: PreviewFeedback;
}

/**
 * Queues the destroy (resources and stack) of an active preview, superseding its deployments that have not started,
 * and records it as `destroying`; null when the preview is not active (destroyed, or a destroy is under way). The
 * same preview asked twice at once (a closed event and the sweeper) queues one destroy: the idempotency key is the
 * preview's last update and the destroys tried since, so a retry after a failed destroy is a destroy of its own.
 */
export async function destroyPreview(context: PreviewDestroyContext, preview: PreviewRecord, why: string, tokenId = PREVIEW_SERVICE_PRINCIPAL): Promise<string | null> {
  if (!["queued", "deploying", "live", "failed"].includes(preview.state)) return null;
  // A preview whose deployment never ran (superseded, or closed first) or that `gc` collected has no stack left.
  const args: StackOperationArgs = { operation: "destroy", project_id: preview.project_id, environment: preview.environment, remove: true, missing_ok: true };
  const { deployment } = await queueOperation(context.pool, context.queue, {
    tokenId,
    operation: "destroy",
    projectId: preview.project_id,
    stack: preview.stack,
    request: { ...args, reason: why.slice(0, 300) },
    idempotencyKey: `preview-destroy:${preview.stack}:${preview.updated_at}:${preview.destroy_attempts}`,
    notifier: context.notifier,
  });
  if (!(await claimPreviewDestroy(context.pool, preview.stack, deployment.id))) return null;
  await supersedeQueued(context.pool, preview.stack, deployment.id);
  return deployment.id;
}

/**
 * Destroys the least recently updated active previews of `projectId` beyond `max` (the cap holds at all times: it is
 * applied as each preview is queued); the ids of the destroys queued.
 */
export async function enforcePreviewCap(context: PreviewDestroyContext, projectId: string, max: number): Promise<string[]> {
  const queued: string[] = [];
  for (const preview of await previewsBeyondCap(context.pool, projectId, max)) {
    const id = await destroyPreview(context, preview, `more than ${max} previews of project ${projectId} (max_previews); the least recently updated goes`);
    if (id) queued.push(id);
  }
  return queued;
}
