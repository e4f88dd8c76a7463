import type { ServiceDatabase } from "./database";
import { importEsm } from "./esm";

/** The job queue's name for deployments. */
export const DEPLOYMENTS_QUEUE = "deployments";

/** A deployment job: the id of its record. */
export interface DeploymentJob {
  readonly deployment_id: string;
}

/** How a job is sent: its key (one at a time per key under `key_strict_fifo`), retries, and how long it may run. */
export interface JobSendOptions {
  readonly singletonKey?: string;
  readonly retryLimit: number;
  /** Seconds before the first retry; doubled each time with `retryBackoff`, up to `retryDelayMax`. */
  readonly retryDelay: number;
  readonly retryBackoff: boolean;
  readonly retryDelayMax?: number;
  readonly expireInSeconds: number;
  /** A running job whose worker stops beating for this long (>= 10 s) is failed and retried. */
  readonly heartbeatSeconds?: number;
  /** Seconds to wait before it may run. */
  readonly startAfter?: number;
}

/** The part of pg-boss this uses (an optional-free dependency, loaded on first use: it is ESM). */
export interface JobQueue {
  send(name: string, data: object, options: JobSendOptions): Promise<string | null>;
  work<T = DeploymentJob>(
    name: string,
    options: { localConcurrency: number; batchSize: number; pollingIntervalSeconds: number; notifyPollingIntervalSeconds?: number },
    handler: (jobs: { id: string; data: T; retryCount?: number }[]) => Promise<unknown>,
  ): Promise<string>;
  /** Makes one of this process's workers fetch at once instead of waiting out its poll interval. */
  notifyWorker(workerId: string): void;
  /** Stops this process's workers of a queue (`id`: one of them), waiting for their running jobs with `wait`. */
  offWork(name: string, options?: { id?: string; wait?: boolean }): Promise<void>;
  createQueue(name: string, options: { policy: string; notify?: boolean }): Promise<void>;
  getQueue(name: string): Promise<unknown>;
  updateQueue(name: string, options: { notify: boolean }): Promise<void>;
  stop(options?: { graceful?: boolean; wait?: boolean; timeout?: number }): Promise<void>;
}

/**
 * The deployment queue on the service's PostgreSQL, with pg-boss (jobs are rows, claimed with SKIP LOCKED, so any
 * number of workers on any number of machines share it). Its `key_strict_fifo` policy keyed by stack runs one
 * deployment per stack at a time, in arrival order, while other stacks run in parallel.
 */
export async function openJobQueue(database: ServiceDatabase): Promise<JobQueue> {
  const { PgBoss } = await importEsm<{ PgBoss: new (options: object) => JobQueue & { start(): Promise<unknown>; on(event: string, listener: (error: Error) => void): void } }>("pg-boss");
  // LISTEN/NOTIFY wakes a worker the moment a deployment is queued (polling stays on as the floor, and is all there is
  // when the listener cannot be had): the wait for a worker's next poll was a quarter of a second on average.
  const boss = new PgBoss({ ...database.connection, schema: "deployment_planner_queue", max: 5, superviseIntervalSeconds: 10, useListenNotify: true });
  // Errors of its background maintenance are retried by pg-boss; they must not crash the process.
  boss.on("error", () => undefined);
  await boss.start();
  const existing = (await boss.getQueue(DEPLOYMENTS_QUEUE)) as { notify?: boolean } | null;
  if (!existing) {
    await boss.createQueue(DEPLOYMENTS_QUEUE, { policy: "key_strict_fifo", notify: true }).catch(async (error: Error) => {
      // Another process created it meanwhile.
      if (!(await boss.getQueue(DEPLOYMENTS_QUEUE))) throw error;
    });
  } else if (existing.notify !== true) {
    // A queue made before workers were woken by notification.
    await boss.updateQueue(DEPLOYMENTS_QUEUE, { notify: true });
  }
  return boss;
}

/** How `workEachJobThenFetch` polls and how many jobs it runs at once. */
export interface ContinuousWorkOptions {
  /** Jobs this process runs at once, each slot a worker of its own. */
  readonly slots: number;
  /** The poll interval without notification (LISTEN/NOTIFY unavailable). */
  readonly pollingIntervalSeconds: number;
  /** The poll interval while notification wakes workers: only a backstop. */
  readonly notifyPollingIntervalSeconds: number;
}

/**
 * Works a queue with `slots` workers, each fetching again the moment its job ends. A worker otherwise waits out its
 * poll interval after every job, minus the job's time, whatever is queued: notification only wakes it for a job
 * queued meanwhile, never for one a finished job made runnable (the next deployment of the same stack, one at a
 * time per stack), so a slot ran at most one deployment per interval. Each slot is its own `work` call, the only
 * way to learn its worker's id and tell that worker to fetch. Returns the workers' ids.
 */
export async function workEachJobThenFetch<T = DeploymentJob>(
  queue: JobQueue,
  name: string,
  options: ContinuousWorkOptions,
  handler: (jobs: { id: string; data: T; retryCount?: number }[]) => Promise<unknown>,
): Promise<string[]> {
  const ids: string[] = [];
  for (let slot = 0; slot < options.slots; slot += 1) {
    // A job may reach the handler before `work` has answered with the worker's id.
    let idKnown!: (id: string) => void;
    const workerId = new Promise<string>((resolve) => (idKnown = resolve));
    const id = await queue.work<T>(
      name,
      { localConcurrency: 1, batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds, notifyPollingIntervalSeconds: options.notifyPollingIntervalSeconds },
      async (jobs) => {
        try {
          return await handler(jobs);
        } finally {
          // Told as its job ends, the worker skips its wait (or cuts it short, told a moment later).
          void workerId.then((known) => queue.notifyWorker(known));
        }
      },
    );
    idKnown(id);
    ids.push(id);
  }
  return ids;
}
