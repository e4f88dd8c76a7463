import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { openServiceDatabase, type ServiceDatabase } from "../../src/service/database";

/**
 * Starts (or joins) the service's embedded PostgreSQL of the workspace data directory `dataDir`, as a service without
 * `DATABASE_URL` does, migrated and ready.
 */
export function openTestDatabase(dataDir: string): Promise<ServiceDatabase> {
  return openServiceDatabase({ dataDir, databaseUrl: "" });
}

/**
 * Removes the embedded server's files: its data directory and its password file, which a root-run server keeps
 * outside the workspace. The caller has stopped it (or never started one: nothing happens).
 */
export async function removeTestDatabaseFiles(database: ServiceDatabase | undefined): Promise<void> {
  if (!database?.directory) return;
  for (const leftover of [database.directory, `${database.directory}.secret`]) await rm(leftover, { recursive: true, force: true });
}

/** Closes a database `openTestDatabase` opened (its pool, and the embedded server it started) and removes its files. */
export async function closeTestDatabase(database: ServiceDatabase | undefined): Promise<void> {
  await database?.close();
  await removeTestDatabaseFiles(database);
}

/**
 * What the embedded database of a `deployment-planner serve` process on the workspace data directory `dataDir` leaves
 * outside the workspace when it runs as root (PostgreSQL's own account cannot enter the workspace's directories, so
 * the server keeps its data in a system directory named by the workspace): to remove beside the test's root.
 */
export function serveDatabaseLeftovers(dataDir: string): string[] {
  const hashed = path.join("/var/lib/deployment-planner/postgres", createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 16));
  return [hashed, `${hashed}.secret`];
}
