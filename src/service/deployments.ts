import { randomUUID } from "node:crypto";
import type { Pool } from "pg";
import type { AcceptedDeployment } from "./acceptance";
import { storeBundle } from "./repositories/bundles";
import type { NotificationEvent } from "./config";
import { DEPLOYMENTS_QUEUE, type JobQueue } from "./queue";
import { eventsAfter } from "./repositories/deployment-events";
import { deploymentById, engineLogById, insertDeployment } from "./repositories/deployments";
import type { QueuedOperation } from "./stack-operations";
import type { DeploymentRecord } from "./deployment-record";

export type { DeploymentRecord };

/** Attempts an operation gets when its engine run meets transient failures (the network, a provider's throttling). */
export const MAX_ATTEMPTS = 4;

/** Tells subscribers about a deployment's events (the feedback loop); delivery happens in the background. */
export interface DeploymentNotifier {
  publish(event: NotificationEvent, deployment: DeploymentRecord): Promise<void>;
}

/**
 * Queues a deployment request as it was accepted (`acceptDeployment`: planned once, its source packaged): its bundle
 * is stored where every worker reads it, and the deployment keeps the spec and the bundle's digest, which is all its
 * worker deploys. The same idempotency key from the same token returns the deployment it queued first.
 */
export async function submitDeployment(
  pool: Pool,
  queue: JobQueue,
  submission: { readonly tokenId: string; readonly request: unknown; readonly accepted: AcceptedDeployment; readonly idempotencyKey?: string; readonly notifier?: DeploymentNotifier },
): Promise<{ readonly deployment: DeploymentRecord; readonly created: boolean }> {
  const { accepted, ...rest } = submission;
  if (accepted.bundle) await storeBundle(pool, accepted.bundle);
  return queueOperation(pool, queue, {
    ...rest,
    operation: "deploy",
    projectId: accepted.projectId,
    stack: accepted.stack,
    planned: accepted.planned,
    bundleDigest: accepted.bundle?.digest ?? null,
  });
}

/** An operation to queue: what it is, on which stack, with which arguments, for whom. */
export interface OperationSubmission {
  readonly tokenId: string;
  readonly operation: QueuedOperation;
  readonly projectId: string;
  readonly stack: string;
  /** The deployment request, or a stack operation's arguments. */
  readonly request: unknown;
  readonly idempotencyKey?: string;
  readonly notifier?: DeploymentNotifier;
  /** A deployment's spec as planned when it was accepted, and its planner warnings (none for other operations). */
  readonly planned?: { readonly spec: unknown; readonly warnings: readonly string[] } | null;
  /** The digest of the stored bundle a deployment deploys. */
  readonly bundleDigest?: string | null;
}

/** Seconds a running job's worker may go without a heartbeat before the queue hands the job to another worker. */
export function jobHeartbeatSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env[JOB_HEARTBEAT_ENV]);
  return Number.isInteger(configured) && configured >= 10 && configured <= 3600 ? configured : 30;
}

/** Environment variable: `jobHeartbeatSeconds` (10 to 3600; default 30). */
export const JOB_HEARTBEAT_ENV = "DEPLOYMENT_PLANNER_JOB_HEARTBEAT_SECONDS";

/**
 * Records an operation and queues it, keyed by its stack (one at a time per stack, in arrival order, across every
 * worker). The same idempotency key from the same token returns the operation it queued first.
 */
export async function queueOperation(pool: Pool, queue: JobQueue, submission: OperationSubmission): Promise<{ readonly deployment: DeploymentRecord; readonly created: boolean }> {
  const id = randomUUID();
  const recorded = await insertDeployment(pool, {
    id,
    tokenId: submission.tokenId,
    idempotencyKey: submission.idempotencyKey ?? null,
    projectId: submission.projectId,
    stack: submission.stack,
    request: submission.request,
    operation: submission.operation,
    planned: submission.planned ?? null,
    bundleDigest: submission.bundleDigest ?? null,
  });
  if (!recorded.created) return recorded;
  // Handed back (and retried with backoff) only when its worker stops beating or meets a transient failure; an
  // operation's own failure is its result.
  await queue.send(
    DEPLOYMENTS_QUEUE,
    { deployment_id: id },
    { singletonKey: submission.stack, retryLimit: MAX_ATTEMPTS + 1, retryDelay: 5, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 3600, heartbeatSeconds: jobHeartbeatSeconds() },
  );
  const deployment = recorded.deployment;
  // A subscriber that cannot be told never fails the submission; its deliveries are recorded and retried.
  await submission.notifier?.publish("queued", deployment).catch(() => undefined);
  return { deployment, created: true };
}

/** The masked engine log a deployment's run left, or null while it has none. */
export async function deploymentEngineLog(pool: Pool, id: string): Promise<string | null> {
  return engineLogById(pool, id);
}

/** One deployment, or null. */
export async function getDeployment(pool: Pool, id: string): Promise<DeploymentRecord | null> {
  return deploymentById(pool, id);
}

/** The progress lines of a deployment after `afterSeq`, oldest first. */
export async function deploymentEvents(pool: Pool, id: string, afterSeq = 0): Promise<{ seq: number; at: string; line: string }[]> {
  return eventsAfter(pool, id, afterSeq);
}
