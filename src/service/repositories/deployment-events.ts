import type { Pool } from "pg";
import { SERVICE_SCHEMA } from "../migrations";

/** The `deployment_events` table: the progress lines of each deployment, in the order its worker wrote them. */

const TABLE = `${SERVICE_SCHEMA}.deployment_events`;

/** A progress line of a deployment. */
export interface DeploymentEvent {
  readonly seq: number;
  readonly at: string;
  readonly line: string;
}

/** Appends a progress line (already masked; at most 4000 characters are kept). */
export async function appendEvent(pool: Pool, deploymentId: string, line: string): Promise<void> {
  await pool.query(`insert into ${TABLE} (deployment_id, line) values ($1, $2)`, [deploymentId, line.slice(0, 4000)]);
}

/** Up to 1000 progress lines of a deployment after `afterSeq`, oldest first. */
export async function eventsAfter(pool: Pool, deploymentId: string, afterSeq: number): Promise<DeploymentEvent[]> {
  const rows = await pool.query<{ seq: string; at: Date; line: string }>(`select seq, at, line from ${TABLE} where deployment_id = $1 and seq > $2 order by seq limit 1000`, [
    deploymentId,
    afterSeq,
  ]);
  return rows.rows.map((row) => ({ seq: Number(row.seq), at: row.at.toISOString(), line: row.line }));
}
