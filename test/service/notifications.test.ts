import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOTIFICATION_EVENTS, type ServiceConfig } from "../../src/service/config";
import type { ServiceDatabase } from "../../src/service/database";
import { getDeployment, type DeploymentRecord } from "../../src/service/deployments";
import { createNotifier, listNotificationDeliveries, verifyNotificationSignature, type Notifier } from "../../src/service/notifications";
import { openJobQueue, type JobQueue } from "../../src/service/queue";
import { closeTestDatabase, openTestDatabase } from "../support/database";

/** A request a receiver got, with when it arrived. */
interface Received {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real subscriber on loopback; `answer` gives the status for its n-th request (from 1), or null to never answer. */
async function startReceiver(answer: (n: number) => number | null = () => 200, headers: Record<string, string> = {}) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ at: Date.now(), headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const status = answer(received.length);
      if (status !== null) response.writeHead(status, headers).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deployments`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outgoing webhooks through a real pg-boss queue on the embedded PostgreSQL, to real HTTP receivers. */
describe("deployment notifications (outgoing webhooks)", () => {
  const secrets = {
    SHOP_HOOK_SECRET: randomBytes(24).toString("hex"),
    BLOG_HOOK_SECRET: randomBytes(24).toString("hex"),
    EVERYONE_HOOK_SECRET: randomBytes(24).toString("hex"),
    FLAKY_HOOK_SECRET: randomBytes(24).toString("hex"),
    DOWN_HOOK_SECRET: randomBytes(24).toString("hex"),
  };
  const failuresSecret = randomBytes(24).toString("hex");
  let root = "";
  let database: ServiceDatabase;
  let queue: JobQueue;
  let notifier: Notifier;
  let delivery: { stop(): Promise<void> };
  type ReceiverName = "shop" | "failuresOnly" | "blog" | "everyone" | "flaky" | "silent" | "redirecting" | "unsigned";
  const receivers = {} as Record<ReceiverName, Awaited<ReturnType<typeof startReceiver>>>;
  let closedUrl = "";

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-notify-"));
    await writeFile(path.join(root, "hooks.env"), `FAILURES_SECRET=${failuresSecret}\n`, { mode: 0o600 });
    receivers.shop = await startReceiver();
    receivers.failuresOnly = await startReceiver();
    receivers.blog = await startReceiver();
    receivers.everyone = await startReceiver();
    receivers.flaky = await startReceiver((n) => (n <= 2 ? 500 : 200));
    receivers.silent = await startReceiver(() => null);
    receivers.redirecting = await startReceiver(() => 302, { location: "http://127.0.0.1:1/elsewhere" });
    receivers.unsigned = await startReceiver();
    const closed = await startReceiver();
    closedUrl = closed.url;
    await closed.close();

    const all = [...NOTIFICATION_EVENTS];
    const config: ServiceConfig = {
      baseDir: root,
      hooks: { generic: [], rules: [] },
      notifications: [
        { project: "shop", url: receivers.shop.url, secret: "env:SHOP_HOOK_SECRET", events: all },
        { project: "shop", url: receivers.failuresOnly.url, secret: "file:hooks.env#FAILURES_SECRET", events: ["failed"] },
        { project: "blog", url: receivers.blog.url, secret: "env:BLOG_HOOK_SECRET", events: all },
        { project: "*", url: receivers.everyone.url, secret: "env:EVERYONE_HOOK_SECRET", events: ["succeeded"] },
        // The shop's receiver again, for every project: a receiver named twice gets an event once.
        { project: "*", url: receivers.shop.url, secret: "env:SHOP_HOOK_SECRET", events: ["rolled_back"] },
        { project: "flaky", url: receivers.flaky.url, secret: "env:FLAKY_HOOK_SECRET", events: all },
        { project: "down", url: closedUrl, secret: "env:DOWN_HOOK_SECRET", events: all },
        { project: "down", url: receivers.silent.url, secret: "env:DOWN_HOOK_SECRET", events: all },
        { project: "down", url: receivers.redirecting.url, secret: "env:DOWN_HOOK_SECRET", events: all },
        { project: "down", url: receivers.unsigned.url, secret: "env:NOT_SET_ANYWHERE", events: all },
      ],
    };
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    queue = await openJobQueue(database);
    notifier = await createNotifier({
      database,
      queue,
      config,
      version: "test",
      retry: { delaySeconds: 1, limit: 2 },
      timeoutMs: 1_000,
      env: { ...secrets },
      baseDir: root,
    });
    delivery = await notifier.startDelivery({ concurrency: 4 });
  }, 120_000);

  afterAll(async () => {
    await delivery?.stop();
    await queue?.stop({ graceful: false, wait: true, timeout: 10_000 });
    for (const receiver of Object.values(receivers)) await receiver.close();
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  }, 60_000);

  async function deploymentOf(projectId: string, status: DeploymentRecord["status"] = "succeeded"): Promise<DeploymentRecord> {
    const id = randomUUID();
    const result = status === "failed" ? { status: "error", stage: "deploy", reason: "the build failed" } : status === "succeeded" ? { status: "success", stack: `${projectId}.development` } : null;
    await database.pool.query(
      `insert into deployment_planner.deployments (id, token_id, project_id, stack, request, status, result, started_at, finished_at)
       values ($1, 'test-token', $2, $3, '{}', $4, $5, now(), now())`,
      [id, projectId, `${projectId}.development`, status, result === null ? null : JSON.stringify(result)],
    );
    return (await getDeployment(database.pool, id))!;
  }

  const signatureParts = (header: string) => Object.fromEntries(header.split(",").map((part) => part.split("=", 2) as [string, string]));

  it("delivers a signed event to the project's subscribers and `*`, and nothing to other projects' or filtered-out subscribers", async () => {
    const deployment = await deploymentOf("shop");
    await notifier.publish("succeeded", deployment);

    const [request] = await waitFor("the shop's delivery", () => (receivers.shop.received.length > 0 ? receivers.shop.received : undefined));
    const payload = JSON.parse(request!.body) as { id: string; event: string; at: string; deployment: DeploymentRecord };
    expect(payload).toEqual({ id: expect.any(String), event: "succeeded", at: expect.any(String), deployment });
    expect(request!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "deployment-planner/test",
      "x-deployment-planner-event": "succeeded",
      "x-deployment-planner-delivery": payload.id,
    });

    const header = request!.headers["x-deployment-planner-signature"] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyNotificationSignature(secrets.SHOP_HOOK_SECRET, header, request!.body)).toBe(true);
    // What a receiver without this package computes.
    const { t, v1 } = signatureParts(header);
    expect(createHmac("sha256", secrets.SHOP_HOOK_SECRET).update(`${t}.${request!.body}`).digest("hex")).toBe(v1);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(30);
    // A wrong secret, a changed body, a stale timestamp or a mangled header do not verify.
    expect(verifyNotificationSignature(secrets.BLOG_HOOK_SECRET, header, request!.body)).toBe(false);
    expect(verifyNotificationSignature(secrets.SHOP_HOOK_SECRET, header, request!.body.replace("succeeded", "failed"))).toBe(false);
    expect(verifyNotificationSignature(secrets.SHOP_HOOK_SECRET, header, request!.body, 300, Number(t) + 301)).toBe(false);
    expect(verifyNotificationSignature(secrets.SHOP_HOOK_SECRET, `t=${t}`, request!.body)).toBe(false);
    expect(verifyNotificationSignature(secrets.SHOP_HOOK_SECRET, undefined, request!.body)).toBe(false);

    const [everyone] = await waitFor("the `*` delivery", () => (receivers.everyone.received.length > 0 ? receivers.everyone.received : undefined));
    expect(everyone!.body).toBe(request!.body);
    expect(verifyNotificationSignature(secrets.EVERYONE_HOOK_SECRET, everyone!.headers["x-deployment-planner-signature"] as string, everyone!.body)).toBe(true);

    const deliveries = await waitFor("two recorded deliveries", async () => {
      const rows = await listNotificationDeliveries(database.pool, deployment.id);
      return rows.length === 2 ? rows : undefined;
    });
    expect(deliveries.map((row) => row.url).sort()).toEqual([receivers.shop.url, receivers.everyone.url].sort());
    for (const row of deliveries) expect(row).toMatchObject({ event_id: payload.id, deployment_id: deployment.id, event: "succeeded", attempt: 1, status_code: 200, error: null, delivered: true });

    // Given time to arrive, the blog's subscriber and the failures-only subscriber still have nothing.
    await sleep(1_500);
    expect(receivers.blog.received).toHaveLength(0);
    expect(receivers.failuresOnly.received).toHaveLength(0);
    expect(receivers.shop.received).toHaveLength(1);
  });

  it("respects each subscriber's event filter, and sends an event once to a receiver listed twice", async () => {
    const deployment = await deploymentOf("shop", "failed");
    const before = receivers.shop.received.length;
    await notifier.publish("failed", deployment);
    const [failure] = await waitFor("the failures-only delivery", () => (receivers.failuresOnly.received.length > 0 ? receivers.failuresOnly.received : undefined));
    expect(failure!.headers["x-deployment-planner-event"]).toBe("failed");
    expect(verifyNotificationSignature(failuresSecret, failure!.headers["x-deployment-planner-signature"] as string, failure!.body)).toBe(true);
    expect(JSON.parse(failure!.body)).toMatchObject({ event: "failed", deployment: { id: deployment.id, status: "failed", result: { status: "error" } } });

    await notifier.publish("rolled_back", deployment);
    await waitFor("the rolled_back delivery", () => (receivers.shop.received.some((r) => r.headers["x-deployment-planner-event"] === "rolled_back") ? true : undefined));
    await sleep(1_500);
    // The failed event (the shop's own subscription) and one rolled_back, though the URL is listed for shop and `*`.
    expect(receivers.shop.received.slice(before).map((r) => r.headers["x-deployment-planner-event"]).sort()).toEqual(["failed", "rolled_back"]);
    expect(receivers.failuresOnly.received).toHaveLength(1);
    expect(receivers.everyone.received).toHaveLength(1);
  });

  it("retries a failing subscriber with growing gaps and records every attempt", async () => {
    const deployment = await deploymentOf("flaky", "running");
    await notifier.publish("started", deployment);
    const attempts = await waitFor("three attempts", () => (receivers.flaky.received.length >= 3 ? receivers.flaky.received : undefined), 30_000);
    expect(attempts).toHaveLength(3);
    // One event: the same id every time, each attempt signed afresh.
    expect(new Set(attempts.map((a) => a.headers["x-deployment-planner-delivery"])).size).toBe(1);
    for (const attempt of attempts) expect(verifyNotificationSignature(secrets.FLAKY_HOOK_SECRET, attempt.headers["x-deployment-planner-signature"] as string, attempt.body)).toBe(true);
    // Backoff from 1 s: the first retry waits 1-2 s, the second 2-4 s (without backoff both would be about 1 s).
    const firstGap = attempts[1]!.at - attempts[0]!.at;
    const secondGap = attempts[2]!.at - attempts[1]!.at;
    expect(firstGap).toBeGreaterThanOrEqual(900);
    expect(secondGap).toBeGreaterThanOrEqual(1_900);

    const rows = await waitFor("three recorded attempts", async () => {
      const found = await listNotificationDeliveries(database.pool, deployment.id);
      return found.length === 3 ? found : undefined;
    });
    expect(rows.map((row) => [row.attempt, row.status_code, row.error, row.delivered])).toEqual([
      [1, 500, "HTTP 500", false],
      [2, 500, "HTTP 500", false],
      [3, 200, null, true],
    ]);
    await sleep(1_000);
    expect(receivers.flaky.received).toHaveLength(3);
  });

  it("records refused, unanswered, redirected and unsigned deliveries as failed attempts, and keeps delivering", async () => {
    const deployment = await deploymentOf("down", "failed");
    await notifier.publish("failed", deployment);
    // Every subscriber gets its first try and both retries, then is given up on.
    const rows = await waitFor(
      "every attempt to the failing subscribers",
      async () => {
        const found = await listNotificationDeliveries(database.pool, deployment.id);
        return found.length >= 12 ? found : undefined;
      },
      40_000,
    );
    const byUrl = (url: string) => rows.filter((row) => row.url === url).map((row) => [row.attempt, row.status_code, row.error, row.delivered]);
    expect(byUrl(closedUrl)).toEqual([1, 2, 3].map((n) => [n, null, "connection refused", false]));
    expect(byUrl(receivers.silent.url)).toEqual([1, 2, 3].map((n) => [n, null, "timeout", false]));
    expect(byUrl(receivers.redirecting.url)).toEqual([1, 2, 3].map((n) => [n, 302, "HTTP 302", false]));
    expect(byUrl(receivers.unsigned.url)).toEqual([1, 2, 3].map((n) => [n, null, "subscriber secret unavailable", false]));
    expect(receivers.silent.received).toHaveLength(3);
    expect(receivers.redirecting.received).toHaveLength(3);
    // Without its secret, nothing is sent unsigned.
    expect(receivers.unsigned.received).toHaveLength(0);
    await sleep(4_000);
    expect(await listNotificationDeliveries(database.pool, deployment.id)).toHaveLength(12);

    // The delivery worker survived all of it.
    const next = await deploymentOf("shop");
    const before = receivers.shop.received.length;
    await notifier.publish("succeeded", next);
    await waitFor("a delivery after the failures", () => (receivers.shop.received.length > before ? true : undefined));
  }, 60_000);

  it("never stores or sends a subscriber's secret", async () => {
    const stored = [
      JSON.stringify((await database.pool.query("select * from deployment_planner.notification_deliveries")).rows),
      JSON.stringify((await database.pool.query("select data, output from deployment_planner_queue.job")).rows),
    ].join("\n");
    const sent = Object.values(receivers)
      .flatMap((receiver) => receiver.received.map((r) => JSON.stringify(r)))
      .join("\n");
    expect(stored).toContain("HTTP 500");
    for (const secret of [...Object.values(secrets), failuresSecret]) {
      expect(stored).not.toContain(secret);
      expect(sent).not.toContain(secret);
    }
  });
});
