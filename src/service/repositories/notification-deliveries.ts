import type { Pool } from "pg";
import { SERVICE_SCHEMA } from "../migrations";

/** The `notification_deliveries` table: every attempt to deliver an event to a subscriber, with its answer. */

const TABLE = `${SERVICE_SCHEMA}.notification_deliveries`;

/** PostgreSQL's code for a foreign key whose row does not exist. */
const FOREIGN_KEY_VIOLATION = "23503";

/** One attempt to deliver an event. */
export interface DeliveryAttempt {
  readonly event_id: string;
  readonly deployment_id: string;
  readonly event: string;
  readonly url: string;
  readonly attempt: number;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly delivered: boolean;
}

/** A recorded attempt, with when it was made; `deployment_id` is null once its deployment is gone. */
export interface RecordedAttempt extends Omit<DeliveryAttempt, "deployment_id"> {
  readonly deployment_id: string | null;
  readonly at: Date;
}

/** Records an attempt. One of a deployment deleted meanwhile is kept unattached rather than failing to record it. */
export async function insertAttempt(pool: Pool, attempt: DeliveryAttempt): Promise<void> {
  const insert = (deploymentId: string | null) =>
    pool.query(`insert into ${TABLE} (event_id, deployment_id, event, url, attempt, status_code, error, delivered) values ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      attempt.event_id,
      deploymentId,
      attempt.event,
      attempt.url,
      attempt.attempt,
      attempt.status_code,
      attempt.error,
      attempt.delivered,
    ]);
  await insert(attempt.deployment_id).catch((error: { code?: string }) => {
    if (error.code !== FOREIGN_KEY_VIOLATION) throw error;
    return insert(null);
  });
}

/** Up to 1000 recorded attempts for a deployment, oldest first. */
export async function attemptsFor(pool: Pool, deploymentId: string): Promise<RecordedAttempt[]> {
  const rows = await pool.query<RecordedAttempt>(
    `select event_id, deployment_id, event, url, attempt, status_code, error, delivered, at from ${TABLE} where deployment_id = $1 order by id limit 1000`,
    [deploymentId],
  );
  return rows.rows;
}
