import os from "node:os";
import {
  PROJECT_NAME,
  type PlannerWorkspace,
  breakStaleLocks,
  isSameProcess,
  type PinnedDeployment,
} from "../automation/index";
import type { ServiceDatabase } from "./database";
import { getDeployment, MAX_ATTEMPTS, type DeploymentNotifier } from "./deployments";
import { DEPLOYMENTS_QUEUE, workEachJobThenFetch, type JobQueue } from "./queue";
import { isTransientFailure } from "../outcome";
import { appendEvent } from "./repositories/deployment-events";
import { claimDeployment, finishDeployment, requeueDeployment, runState, type ClaimedDeployment } from "./repositories/deployments";
import { loadBundle, pruneBundles } from "./repositories/bundles";
import { unpackArchive } from "../packager/archive";
import { PackageError } from "../packager/index";
import type { StackSpec } from "../planner/spec";
import { engineLogOf, runQueuedOperation } from "./stack-operations";
import type { ServiceConfig } from "./config";
import { previewFeedbackFor } from "./preview-github";
import { recordPreviewStep } from "./preview-progress";
import { startPreviewSweeper } from "./preview-sweeper";

/** Options of a deployment worker. */
export interface WorkerOptions {
  readonly database: ServiceDatabase;
  readonly queue: JobQueue;
  readonly workspace: PlannerWorkspace;
  /** Directory relative sources resolve against (the first source root). */
  readonly baseDir: string;
  /** Deployments this process runs at once (on different stacks; one stack's run one at a time). Default 2. */
  readonly concurrency?: number;
  /** Tells subscribers when a deployment starts and how it ended; default nobody. */
  readonly notifier?: DeploymentNotifier;
  /** Hides the service's own credentials (the database password in the state backend's URL) in what is recorded. */
  readonly redact?: (text: string) => string;
  /**
   * Told one line as each job starts and as it ends (its result, stage and duration), for the operator's console:
   * what the deployment records hold, never a request's secrets. Default: nobody.
   */
  readonly onActivity?: (line: string) => void;
  /**
   * The service's configuration: GitHub's API for the pull requests' feedback, and how often previews past their time
   * to live are swept (`previews.sweep_interval_seconds`, default hourly). Without it previews are swept hourly and
   * nobody is told.
   */
  readonly config?: ServiceConfig;
}

/** Thrown to hand a job back to the queue, which retries it with backoff. */
class RetryLater extends Error {
  override readonly name = "RetryLater";
}

/** This worker process, as a deployment record names its runner. */
const WORKER_ID = `${os.hostname()}:${process.pid}:${Date.now()}`;

/**
 * Runs queued operations (deployments, rollbacks, promotions, destroys) through the library, recording their
 * progress lines, their masked engine log and their result. A job delivered again (its worker died and stopped
 * beating) runs only if its operation has not finished, and a deployment under its idempotency key, so a finished
 * engine run is never repeated; the stack's stale locks and an interrupted update's pending operations are repaired
 * by the operation itself. A deployment's own failure is its result; only a transient engine failure (or a thrown
 * error: a lost database) hands the job back for a retry with backoff, up to `MAX_ATTEMPTS`.
 */
export async function startWorker(options: WorkerOptions): Promise<{ stop(): Promise<void> }> {
  const pool = options.database.pool;
  const redact = options.redact ?? ((text: string) => text);
  const notify = async (event: Parameters<DeploymentNotifier["publish"]>[0], id: string) => {
    if (!options.notifier) return;
    const deployment = await getDeployment(pool, id).catch(() => null);
    // A subscriber that cannot be told never fails the deployment; deliveries are recorded and retried on their own.
    if (deployment) await options.notifier.publish(event, deployment).catch(() => undefined);
  };

  const previewFeedback = previewFeedbackFor(options.config);

  const recordLine = (deploymentId: string, line: string) =>
    appendEvent(pool, deploymentId, redact(line)).catch(() => undefined);

  const runOne = async (deploymentId: string) => {
    const row = await runState(pool, deploymentId);
    if (!row || (row.status !== "queued" && row.status !== "running")) return;
    // A job delivered again while its first runner on this host still runs (a stalled heartbeat) waits for it.
    if (row.status === "running" && row.worker && (await runnerAlive(row.worker))) throw new RetryLater("its runner still runs");
    // Its runner on another machine stopped beating: the stack's lock its engine left there is broken first (one on
    // this machine is judged by its process, as for any operation).
    const lostHost = row.status === "running" && row.worker ? row.worker.split(":")[0]! : null;
    if (lostHost && lostHost !== os.hostname()) {
      const { broken } = await breakStaleLocks(options.workspace, PROJECT_NAME, row.stack, { lostHosts: [lostHost], actor: "deployment service" });
      for (const lock of broken) await recordLine(deploymentId, `broke the stale lock of ${row.stack}: ${lock.reason}`);
    }
    const job = await claimDeployment(pool, deploymentId, WORKER_ID);
    if (!job) return;
    const started = Date.now();
    const activity = (what: string) => options.onActivity?.(redact(`deployment ${deploymentId}: ${job.operation} of ${row.stack} ${what}`).slice(0, 500));
    activity(`started (attempt ${job.attempts} of ${MAX_ATTEMPTS})`);
    if (job.attempts === 1) await notify("started", deploymentId);
    if (job.attempts === 1) await recordPreviewStep(pool, previewFeedback, deploymentId, job.operation, { started: true });
    let recorded = Promise.resolve();
    const onProgress = (line: string) => {
      // Kept in order; a line that cannot be written is dropped, never the deployment.
      recorded = recorded.then(() => recordLine(deploymentId, line));
    };
    const result = await runQueuedOperation(job.operation, job.request, {
      workspace: options.workspace,
      baseDir: options.baseDir,
      idempotencyKey: `deployment:${deploymentId}`,
      onProgress,
      actor: job.token_id,
      pinned: acceptedDeployment(pool, job),
    });
    await recorded;
    const log = await engineLogOf(result);
    if (isTransientFailure(result) && job.attempts < MAX_ATTEMPTS) {
      onProgress(`attempt ${job.attempts} met a transient failure; retrying with backoff`);
      await recorded;
      await requeueDeployment(pool, deploymentId, log === null ? null : redact(log));
      activity(`met a transient failure after ${seconds(started)}; queued again`);
      throw new RetryLater("transient failure");
    }
    const { log_file: _machinePath, ...reported } = result;
    const succeeded = result.status !== "error";
    await finishDeployment(pool, deploymentId, {
      status: succeeded ? "succeeded" : "failed",
      resultJson: redact(JSON.stringify(reported)),
      engineLog: log === null ? null : redact(log),
    });
    // The reason was masked by the operation that wrote it, like every line the deployment records.
    activity(succeeded ? `succeeded in ${seconds(started)}` : `failed at stage ${String(result.stage)} in ${seconds(started)}: ${String(result.reason)}`);
    await notify(succeeded ? "succeeded" : "failed", deploymentId);
    await recordPreviewStep(pool, previewFeedback, deploymentId, job.operation, { succeeded, result: JSON.parse(redact(JSON.stringify(reported))) as Record<string, unknown> });
    // The bundle lives on in this worker's artifact store; the database keeps it only while a deployment needs it.
    await pruneBundles(pool).catch(() => undefined);
    if ((succeeded && job.operation === "rollback") || typeof result.rolled_back_to === "number") await notify("rolled_back", deploymentId);
  };

  await workEachJobThenFetch(options.queue, DEPLOYMENTS_QUEUE, { slots: options.concurrency ?? 2, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 }, async (jobs) => {
    for (const job of jobs) await runOne(job.data.deployment_id);
  });
  // The service's own schedule for previews whose `closed` event never arrived.
  const sweeper = startPreviewSweeper({
    pool,
    queue: options.queue,
    notifier: options.notifier,
    feedback: previewFeedback,
    workspace: options.workspace,
    intervalMs: (options.config?.previews?.sweep_interval_seconds ?? 3600) * 1000,
    onActivity: (line) => options.onActivity?.(redact(line).slice(0, 500)),
  });
  return {
    async stop() {
      await sweeper.stop();
      await options.queue.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}

/**
 * The deployment a claimed job deploys as it was accepted: its spec as planned then, and its bundle read from the
 * database and verified against its digest when the run unpacks it (a mismatch fails it at stage `package`).
 */
function acceptedDeployment(pool: ServiceDatabase["pool"], job: ClaimedDeployment): PinnedDeployment | undefined {
  if (job.operation !== "deploy" || !job.planned) return undefined;
  const digest = job.bundle_digest;
  const bundle = digest
    ? {
        digest,
        async materialize(bundlesDir: string) {
          const archive = await loadBundle(pool, digest);
          if (!archive) throw new PackageError(`the bundle ${digest} of this deployment is no longer stored on the service`);
          return unpackArchive(archive, digest, bundlesDir);
        },
      }
    : null;
  return { spec: job.planned.spec as StackSpec, warnings: job.planned.warnings, bundle };
}

/** Time since `start`, for a person: "3.2s". */
function seconds(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)}s`;
}

/** Whether the worker a record names still runs: on this host, its process; elsewhere, unknown (taken as gone). */
async function runnerAlive(worker: string): Promise<boolean> {
  const [host, pid, startedAt] = worker.split(":");
  if (host !== os.hostname() || Number(pid) === process.pid) return false;
  return isSameProcess(Number(pid), Number(startedAt));
}
