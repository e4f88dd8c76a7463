import { randomUUID } from "node:crypto";
import type { Pool } from "pg";
import { resolveSecrets } from "../secrets/index";
import type { NotificationEvent, ServiceConfig } from "./config";
import { callerText, type MachineDirs } from "./caller-text";
import type { ServiceDatabase } from "./database";
import type { DeploymentNotifier, DeploymentRecord } from "./deployments";
import { DEFAULT_DELIVERY_TIMEOUT_MS, postNotification, type DeliveryOutcome } from "./notification-delivery";
import type { JobQueue } from "./queue";
import { attemptsFor, insertAttempt, type DeliveryAttempt } from "./repositories/notification-deliveries";

export { signNotification, verifyNotificationSignature, SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER } from "./notification-delivery";

/** The job queue's name for outgoing webhooks: one job per event and subscriber. */
export const NOTIFICATIONS_QUEUE = "notifications";

/** The JSON body a subscriber receives. */
export interface NotificationPayload {
  /** The event's id, also sent as `X-Deployment-Planner-Delivery`; the same on every retry and for every subscriber. */
  readonly id: string;
  readonly event: NotificationEvent;
  /** When the event happened (ISO 8601). */
  readonly at: string;
  /** The deployment as the API reports it (its result already masked). */
  readonly deployment: DeploymentRecord;
}

/** A notification job: one event for one subscriber, with the exact body to sign and send. */
export interface NotificationJob {
  readonly event_id: string;
  readonly event: NotificationEvent;
  readonly deployment_id: string;
  /** The subscriber's position in `notifications` of the configuration, checked against `url` on delivery. */
  readonly subscriber: number;
  readonly url: string;
  /** The serialised `NotificationPayload`, kept as text so every retry sends (and signs) the same bytes. */
  readonly body: string;
}

/** How a failed delivery is retried: up to `limit` more times, `delaySeconds` doubling each time up to `maxDelaySeconds`. */
export interface NotificationRetry {
  readonly limit: number;
  readonly delaySeconds: number;
  readonly maxDelaySeconds: number;
}

/** The production retry schedule: 8 retries, from about 2 s up to 5 min apart (about 15 minutes in all). */
export const DEFAULT_NOTIFICATION_RETRY: NotificationRetry = { limit: 8, delaySeconds: 2, maxDelaySeconds: 300 };

/** Options of `createNotifier`. */
export interface NotifierOptions {
  readonly database: ServiceDatabase;
  readonly queue: JobQueue;
  readonly config: ServiceConfig;
  /** This package's version, sent in `user-agent`; default the one in package.json. */
  readonly version?: string;
  readonly retry?: Partial<NotificationRetry>;
  /** How long a subscriber has to answer; default 10 s. */
  readonly timeoutMs?: number;
  /** Where `env:` secret references are read; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** What relative `file:` secret references resolve against (the configuration file's directory); default the cwd. */
  readonly baseDir?: string;
  /** The service's directories, each replaced by a neutral word in what subscribers receive. */
  readonly machineDirs?: MachineDirs;
}

/** Tells subscribers about deployments: `publish` queues the events, `startDelivery` sends them. */
export interface Notifier extends DeploymentNotifier {
  /** Runs the delivery worker in this process (every `worker` and `serve` process runs one); `stop` ends it. */
  startDelivery(options?: { readonly concurrency?: number; readonly pollingIntervalSeconds?: number }): Promise<{ stop(): Promise<void> }>;
}

/** One recorded attempt to deliver an event to a subscriber; its deployment may since have been removed. */
export interface NotificationDelivery extends Omit<DeliveryAttempt, "deployment_id"> {
  readonly deployment_id: string | null;
  readonly at: string;
}

/** The vault path a short `vault:#key` subscriber secret resolves to, as the configuration was validated with. */
const SECRETS_PROJECT = "service";

/**
 * The feedback loop: events of a deployment's life, sent as signed JSON to the subscribers the configuration names
 * for its project (or `*`). Publishing only queues a job per subscriber on the service's PostgreSQL, so it is quick
 * and survives restarts; any process's delivery worker sends it, retrying with exponential backoff, and records every
 * attempt in `notification_deliveries`. Delivery is at least once: a receiver drops repeats by the delivery header.
 */
export async function createNotifier(options: NotifierOptions): Promise<Notifier> {
  const { queue, config } = options;
  const retry = { ...DEFAULT_NOTIFICATION_RETRY, ...options.retry };
  const userAgent = `deployment-planner/${options.version ?? packageVersion()}`;
  const secrets = secretCache(options);
  // A subscriber is a remote caller too: no path or file mode of this machine reaches it.
  const scrub = callerText({ configDir: config.baseDir, ...options.machineDirs });
  await ensureQueue(queue);

  const publish = async (event: NotificationEvent, deployment: DeploymentRecord): Promise<void> => {
    const payload: NotificationPayload = { id: randomUUID(), event, at: new Date().toISOString(), deployment: scrub.value(deployment) };
    const body = JSON.stringify(payload);
    const seenUrls = new Set<string>();
    for (const [index, subscriber] of config.notifications.entries()) {
      if (subscriber.project !== "*" && subscriber.project !== deployment.project_id) continue;
      if (!subscriber.events.includes(event)) continue;
      // A URL listed for the project and for `*` is one receiver: it gets the event once.
      if (seenUrls.has(subscriber.url)) continue;
      seenUrls.add(subscriber.url);
      const job: NotificationJob = { event_id: payload.id, event, deployment_id: deployment.id, subscriber: index, url: subscriber.url, body };
      await queue.send(NOTIFICATIONS_QUEUE, job, {
        retryLimit: retry.limit,
        retryDelay: retry.delaySeconds,
        retryBackoff: true,
        retryDelayMax: retry.maxDelaySeconds,
        expireInSeconds: 60,
      });
    }
  };

  const deliver = async (job: NotificationJob, attempt: number): Promise<void> => {
    // Another process may run with a newer configuration: the position is trusted only while it still names this URL.
    const subscriber =
      config.notifications[job.subscriber]?.url === job.url ? config.notifications[job.subscriber] : config.notifications.find((s) => s.url === job.url);
    let outcome: DeliveryOutcome;
    if (!subscriber) {
      outcome = { delivered: false, statusCode: null, error: "subscriber no longer configured" };
    } else {
      const secret = await secrets.get(subscriber.secret);
      outcome =
        secret === null
          ? { delivered: false, statusCode: null, error: "subscriber secret unavailable" }
          : await postNotification({ url: job.url, event: job.event, eventId: job.event_id, body: job.body, secret, userAgent, timeoutMs: options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS });
    }
    await recordAttempt(options.database.pool, job, attempt, outcome);
    // Nothing to retry for a subscriber that is gone; anything else is thrown so the queue retries it later.
    if (!outcome.delivered && subscriber) throw new Error(outcome.error ?? "not delivered");
  };

  return {
    publish,
    async startDelivery(deliveryOptions = {}) {
      const workerId = await queue.work<NotificationJob>(
        NOTIFICATIONS_QUEUE,
        { localConcurrency: deliveryOptions.concurrency ?? 4, batchSize: 1, pollingIntervalSeconds: deliveryOptions.pollingIntervalSeconds ?? 0.5 },
        async (jobs) => {
          for (const job of jobs) await deliver(job.data, (job.retryCount ?? 0) + 1);
        },
      );
      return {
        async stop() {
          // The queue itself belongs to the caller (the deployment worker shares it); only this worker stops here.
          await queue.offWork(NOTIFICATIONS_QUEUE, { id: workerId, wait: true });
        },
      };
    },
  };
}

/** Every recorded attempt to deliver events of a deployment, oldest first. */
export async function listNotificationDeliveries(pool: Pool, deploymentId: string): Promise<NotificationDelivery[]> {
  const rows = await attemptsFor(pool, deploymentId);
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}

async function recordAttempt(pool: Pool, job: NotificationJob, attempt: number, outcome: DeliveryOutcome): Promise<void> {
  await insertAttempt(pool, {
    event_id: job.event_id,
    deployment_id: job.deployment_id,
    event: job.event,
    url: job.url,
    attempt,
    status_code: outcome.statusCode,
    error: outcome.error?.slice(0, 200) ?? null,
    delivered: outcome.delivered,
  });
}

async function ensureQueue(queue: JobQueue): Promise<void> {
  if (await queue.getQueue(NOTIFICATIONS_QUEUE)) return;
  await queue.createQueue(NOTIFICATIONS_QUEUE, { policy: "standard" }).catch(async (error: Error) => {
    // Another process created it meanwhile.
    if (!(await queue.getQueue(NOTIFICATIONS_QUEUE))) throw error;
  });
}

/**
 * Subscriber secrets, resolved through the secrets layer on first use and then kept in this process's memory only. A
 * reference that cannot be resolved is not kept, so a secret added later is picked up by the next retry; its problem
 * is never recorded beyond "unavailable", as the secrets layer's messages name where values are looked for.
 */
function secretCache(options: Pick<NotifierOptions, "env" | "baseDir" | "config">): { get(reference: string): Promise<string | null> } {
  const resolved = new Map<string, Promise<string | null>>();
  return {
    get(reference) {
      let value = resolved.get(reference);
      if (!value) {
        value = resolveSecrets([{ name: "NOTIFICATION_SECRET", ref: reference, required_by: ["notifications"] }], {
          projectId: SECRETS_PROJECT,
          env: options.env ?? process.env,
          baseDir: options.baseDir ?? options.config.baseDir,
        }).then(
          (resolution) => (resolution.ok ? resolution.secrets[0]!.value : null),
          () => null,
        );
        resolved.set(reference, value);
        void value.then((secret) => {
          if (secret === null) resolved.delete(reference);
        });
      }
      return value;
    },
  };
}

function packageVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}
