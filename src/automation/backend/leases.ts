import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PROJECT_NAME } from "../workspace/index";

/** How long a lease lives without renewal, by default. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** A lease as stored: which host and process works on a stack, and until when it vouches for itself. */
interface LeaseRecord {
  readonly hostname: string;
  readonly pid: number;
  readonly renewed_at: string;
  readonly ttl_ms: number;
}

/** A lease this process holds while its engine works on a stack. */
export interface StackLease {
  /** Stops renewing and removes the lease. */
  release(): Promise<void>;
}

/** What the leases of one host say about its work on a stack. */
export type LeaseState = "live" | "expired" | "none";

/**
 * The directory of a stack's leases, beside the file backend's `.pulumi` directory (`root`) so that every host sharing
 * the backend sees them.
 */
function leaseDir(root: string, stack: string): string {
  return path.join(root, ".deployment-planner", "leases", PROJECT_NAME, stack);
}

async function writeLease(file: string, ttlMs: number): Promise<void> {
  const record: LeaseRecord = { hostname: os.hostname(), pid: process.pid, renewed_at: new Date().toISOString(), ttl_ms: ttlMs };
  // Written aside and renamed, so a reader on another host never sees half a record.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(record));
  await rename(temporary, file);
}

/**
 * Takes a lease on a stack for the duration of an engine run and renews it every quarter of its time to live. A host
 * that cannot check the engine's process (it runs elsewhere) reads the lease instead: a lock whose host's leases all
 * expired belongs to a holder that is gone. `root` is the file backend's directory.
 */
export async function takeLease(root: string, stack: string, ttlMs = DEFAULT_LEASE_TTL_MS): Promise<StackLease> {
  const dir = leaseDir(root, stack);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${os.hostname()}.${process.pid}.json`);
  await writeLease(file, ttlMs);
  let renewal: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewal = renewal.then(() => writeLease(file, ttlMs)).catch(() => undefined);
  }, Math.max(1000, Math.floor(ttlMs / 4)));
  // A lease never keeps the process alive by itself.
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await renewal;
      await rm(file, { force: true });
    },
  };
}

/** Reads the leases a host holds on a stack: any live one means that host's holder still works. */
export async function hostLeaseState(root: string, stack: string, hostname: string, now = Date.now()): Promise<LeaseState> {
  const dir = leaseDir(root, stack);
  const files = await readdir(dir).catch(() => [] as string[]);
  let state: LeaseState = "none";
  for (const name of files.filter((f) => f.endsWith(".json"))) {
    const record = await readLease(path.join(dir, name));
    if (!record || record.hostname !== hostname) continue;
    const renewed = Date.parse(record.renewed_at);
    if (Number.isFinite(renewed) && renewed + record.ttl_ms > now) return "live";
    state = "expired";
  }
  return state;
}

/** Removes a host's expired leases on a stack once the lock they vouched for is broken. */
export async function removeExpiredLeases(root: string, stack: string, hostname: string, now = Date.now()): Promise<void> {
  const dir = leaseDir(root, stack);
  for (const name of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"))) {
    const file = path.join(dir, name);
    const record = await readLease(file);
    if (record && record.hostname === hostname && Date.parse(record.renewed_at) + record.ttl_ms <= now) await rm(file, { force: true });
  }
}

async function readLease(file: string): Promise<LeaseRecord | null> {
  try {
    const record = JSON.parse(await readFile(file, "utf8")) as Partial<LeaseRecord>;
    if (typeof record.hostname !== "string" || typeof record.renewed_at !== "string" || typeof record.ttl_ms !== "number") return null;
    return record as LeaseRecord;
  } catch {
    return null;
  }
}
