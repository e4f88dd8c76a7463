import { planAndDeploy } from "../automation/deploy";
import type { PlannerWorkspace } from "../automation/workspace";
import type { ServiceDatabase } from "./database";
import { SERVICE_SCHEMA } from "./migrations";
import { DEPLOYMENTS_QUEUE, type JobQueue } from "./queue";

/** Options of a deployment worker. */
export interface WorkerOptions {
  readonly database: ServiceDatabase;
  readonly queue: JobQueue;
  readonly workspace: PlannerWorkspace;
  /** Directory relative sources resolve against (the first source root). */
  readonly baseDir: string;
  /** Deployments this process runs at once (on different stacks; one stack's run one at a time). Default 2. */
  readonly concurrency?: number;
}

/**
 * Runs queued deployments through `planAndDeploy`, recording their progress lines and their result. A job delivered
 * again (its worker died) runs only if its deployment has not finished, and under the deployment's idempotency key, so
 * a finished engine run is never repeated; the stack's locks and pending operations are repaired by the operation
 * itself. Only a thrown error (not a deployment's failure, which is its result) makes the queue retry the job.
 */
export async function startWorker(options: WorkerOptions): Promise<{ stop(): Promise<void> }> {
  const pool = options.database.pool;
  const runOne = async (deploymentId: string) => {
    const claimed = await pool.query<{ request: unknown }>(
      `update ${SERVICE_SCHEMA}.deployments set status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
       where id = $1 and status in ('queued', 'running') returning request`,
      [deploymentId],
    );
    if (claimed.rows.length === 0) return;
    let recorded = Promise.resolve();
    const onProgress = (line: string) => {
      // Kept in order; a line that cannot be written is dropped, never the deployment.
      recorded = recorded.then(() => pool.query(`insert into ${SERVICE_SCHEMA}.deployment_events (deployment_id, line) values ($1, $2)`, [deploymentId, line.slice(0, 4000)]).then(() => undefined, () => undefined));
    };
    const result = await planAndDeploy(claimed.rows[0]!.request, {
      workspace: options.workspace,
      baseDir: options.baseDir,
      idempotencyKey: `deployment:${deploymentId}`,
      onProgress,
    });
    await recorded;
    await pool.query(`update ${SERVICE_SCHEMA}.deployments set status = $2, result = $3, finished_at = now() where id = $1`, [
      deploymentId,
      result.status === "error" ? "failed" : "succeeded",
      JSON.stringify(result),
    ]);
  };
  await options.queue.work(DEPLOYMENTS_QUEUE, { localConcurrency: options.concurrency ?? 2, batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    for (const job of jobs) await runOne(job.data.deployment_id);
  });
  return {
    async stop() {
      await options.queue.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
