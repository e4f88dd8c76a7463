import type { Pool, PoolClient } from "pg";

/**
 * Runs `work` in one transaction under a transaction-scoped advisory lock named `lockName`, so every process on every
 * machine sharing the database takes its turn; rolled back when `work` throws.
 */
export async function inLockedTransaction<T>(pool: Pool, lockName: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [lockName]);
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
