import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDatabase } from "../../src/service/database";
import { DEPLOYMENTS_QUEUE, openJobQueue, workEachJobThenFetch, type JobQueue } from "../../src/service/queue";
import { closeTestDatabase, openTestDatabase } from "../support/database";

describe("the deployment queue wakes its workers when a deployment is queued (PostgreSQL LISTEN/NOTIFY)", () => {
  let root: string;
  let database: ServiceDatabase;
  const queues: JobQueue[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-queue-notify-"));
    database = await openTestDatabase(path.join(root, "data"));
  }, 120_000);

  afterAll(async () => {
    for (const queue of queues) await queue.stop({ graceful: false, wait: true, timeout: 5_000 }).catch(() => undefined);
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  async function open(): Promise<JobQueue> {
    const queue = await openJobQueue(database);
    queues.push(queue);
    return queue;
  }

  it("turns notification on for a queue made without it", async () => {
    const first = await open();
    expect(((await first.getQueue(DEPLOYMENTS_QUEUE)) as { notify?: boolean }).notify).toBe(true);
    await first.updateQueue(DEPLOYMENTS_QUEUE, { notify: false });
    const second = await open();
    expect(((await second.getQueue(DEPLOYMENTS_QUEUE)) as { notify?: boolean }).notify).toBe(true);
  });

  it("hands a job to an idle worker long before its next poll", async () => {
    const producer = await open();
    const consumer = await open();
    const handled: string[] = [];
    // Polls every 30 s: a job it gets within 10 s reached it by notification.
    await consumer.work<{ deployment_id: string }>(
      DEPLOYMENTS_QUEUE,
      { localConcurrency: 1, batchSize: 1, pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30 },
      async (jobs) => {
        for (const job of jobs) handled.push(job.data.deployment_id);
      },
    );
    // The worker's first fetch, at its start, finds nothing; it then sleeps until its next poll or a notification.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await producer.send(DEPLOYMENTS_QUEUE, { deployment_id: "woken-by-notify" }, { singletonKey: "queue-notify.development", retryLimit: 0, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 });
    const deadline = Date.now() + 10_000;
    while (!handled.includes("woken-by-notify") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handled).toContain("woken-by-notify");
  });

  it("fetches again as soon as a job ends: the next job of the same stack, runnable only then, starts at once", async () => {
    const producer = await open();
    const consumer = await open();
    // A queue of its own, with the deployments queue's policy: no earlier test's worker takes its jobs.
    const queueName = "fetch-after-job";
    await producer.createQueue(queueName, { policy: "key_strict_fifo", notify: true });
    const send = (id: string) =>
      producer.send(queueName, { deployment_id: id }, { singletonKey: "fetch-after-job.development", retryLimit: 0, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 });
    // Both queued on one stack before the worker starts, so no notification comes later: the second may only start
    // once the first has ended (one at a time per stack), and nothing but the fetch after a job tells the worker.
    await send("first-of-stack");
    await send("second-of-stack");
    // Their notifications have long been delivered (to no worker of this queue) before the worker starts.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = new Map<string, number>();
    const ended = new Map<string, number>();
    // One slot polling every 30 s: without the fetch after each job, the second job would wait out that interval.
    await workEachJobThenFetch<{ deployment_id: string }>(
      consumer,
      queueName,
      { slots: 1, pollingIntervalSeconds: 30, notifyPollingIntervalSeconds: 30 },
      async (jobs) => {
        for (const job of jobs) {
          started.set(job.data.deployment_id, Date.now());
          await new Promise((resolve) => setTimeout(resolve, 300));
          ended.set(job.data.deployment_id, Date.now());
        }
      },
    );
    const deadline = Date.now() + 15_000;
    while (!ended.has("second-of-stack") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended.has("second-of-stack")).toBe(true);
    const gap = started.get("second-of-stack")! - ended.get("first-of-stack")!;
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(5_000);
  });
});
