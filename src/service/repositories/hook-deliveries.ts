import type { Pool } from "pg";
import { SERVICE_SCHEMA } from "../migrations";

/**
 * The `hook_deliveries` table: one row per webhook delivery received (source and delivery id), and per GitHub push
 * that queued something (its push key), so a replay is refused on any API process.
 */

const TABLE = `${SERVICE_SCHEMA}.hook_deliveries`;

/** A delivery as its sender names it. */
export interface DeliveryKey {
  readonly source: string;
  readonly id: string;
}

/**
 * Records a delivery as received; false when this delivery (or, with a push key, the same push under another delivery
 * id) was received before.
 */
export async function claimDelivery(pool: Pool, delivery: DeliveryKey, pushKey: string | null): Promise<boolean> {
  const claimed = await pool.query(`insert into ${TABLE} (source, delivery_id, outcome, push_key) values ($1, $2, 'received', $3) on conflict do nothing returning delivery_id`, [
    delivery.source,
    delivery.id,
    pushKey,
  ]);
  return claimed.rows.length > 0;
}

/** Records what a delivery led to; its push key is kept only when it queued something (`queued`). */
export async function settleDelivery(pool: Pool, delivery: DeliveryKey, outcome: string, deploymentId: string | null): Promise<void> {
  await pool.query(`update ${TABLE} set outcome = $3, deployment_id = $4, push_key = case when $3 = 'queued' then push_key end where source = $1 and delivery_id = $2`, [
    delivery.source,
    delivery.id,
    outcome.slice(0, 1000),
    deploymentId,
  ]);
}

/** Forgets a delivery, so the sender may deliver it again. */
export async function forgetDelivery(pool: Pool, delivery: DeliveryKey): Promise<void> {
  await pool.query(`delete from ${TABLE} where source = $1 and delivery_id = $2`, [delivery.source, delivery.id]);
}
