import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDatabase } from "../../src/service/database";
import { DEPLOYMENTS_QUEUE, openJobQueue, type JobQueue } from "../../src/service/queue";
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
});
