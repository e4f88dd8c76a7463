import { randomBytes } from "node:crypto";
import os from "node:os";
import { appendAudit } from "../records/index";
import {
  delay,
  OperationCancelledError,
  StackLockedError,
  isSameProcess,
  type LeaseState,
  type StackLock,
  type StackLockOptions,
  type StateBackend,
  type StateBackendSettings,
  emptyStackDocument,
  PROJECT_NAME,
} from "../workspace/index";
import {
  addPostgresStateDocument,
  poolFor,
  postgresDocumentJson,
  postgresStateAt,
  postgresStateDocuments,
  postgresStateDocumentText,
  postgresStateNames,
  quoted,
  removePostgresStateDocument,
  type PostgresState,
} from "./postgres-state";

/** How long a lease lives without renewal, by default (as on the file backend). */
const DEFAULT_LEASE_TTL_MS = 60_000;
/** How often a waiter tries the lock again. */
const POLL_MS = 250;
/** How often a waiter checks whether a holder on this host still runs (a `ps` run). */
const HOLDER_CHECK_MS = 2_000;

/** A stack lock's row: who holds it, and until when the database vouches for it without a renewal. */
interface LockRow {
  readonly holder: string;
  readonly hostname: string;
  readonly pid: number;
  readonly since: string;
  /** Whether the lease lapsed, by the database's clock (one clock for every host). */
  readonly lapsed: boolean;
}

/**
 * Pulumi's PostgreSQL backend (`postgres://...?table=<state table>`): its documents are read with SQL, and the stack
 * lock is one row per stack in a table beside the state table (`<state table>_stack_locks`). The row's lease is
 * renewed while its holder works; a holder on another host that stops renewing (killed, cut off) loses it when the
 * lease lapses, and a holder on this host whose process is gone loses it at once.
 */
export function postgresStateBackend(backendUrl: string, settings: StateBackendSettings): StateBackend {
  const state = postgresStateAt(backendUrl);
  const ttlMs = settings.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const locks = new LockTable(state);
  const keyOf = (stack: string) => `${PROJECT_NAME}/${stack}`;
  const describe = (row: LockRow) => `${row.hostname}, pid ${row.pid}, since ${row.since}`;
  // Hosts whose lapsed lease this process broke, by stack: the engine's lock such a holder left is judged by them,
  // since its row is gone (replaced by this process's own).
  const lapsedHosts = new Map<string, Set<string>>();

  /** Whether a row's holder is gone: a dead (or reused) pid on this host, a lapsed lease on another. */
  const gone = async (row: LockRow) => (row.hostname === os.hostname() ? !(await isSameProcess(row.pid, Date.parse(row.since))) : row.lapsed);

  return {
    kind: "postgres",
    reader: {
      list: (...segments) => postgresStateNames(state, ...segments),
      read: (...segments) => postgresStateDocumentText(state, ...segments),
      exists: async (...segments) => (await postgresStateDocumentText(state, ...segments)) !== null,
    },
    filePath: () => null,
    async engineLocks(projectName, stack) {
      const documents = await postgresStateDocuments(state, "locks", "organization", projectName, stack);
      return documents.map(({ key, data }) => ({ key, content: postgresDocumentJson(data) }));
    },
    removeEngineLock: (key) => removePostgresStateDocument(state, key),
    async createStackRecord(projectName, stack) {
      // Only in a tree the engine has set up (its layout's marker), so the engine reads the record where it was put.
      if ((await postgresStateDocumentText(state, "meta.yaml")) === null) return false;
      return addPostgresStateDocument(state, emptyStackDocument(projectName, stack), "stacks", projectName, `${stack}.json`);
    },

    async acquireStackLock(stack: string, options: StackLockOptions): Promise<StackLock> {
      await locks.ensure();
      const key = keyOf(stack);
      const mine = { holder: randomBytes(12).toString("hex"), hostname: os.hostname(), pid: process.pid, since: new Date().toISOString() };
      const checkedAlive = new Map<string, number>();
      let announced = false;
      for (;;) {
        if (await locks.insert(key, mine, ttlMs)) return locks.hold(key, mine.holder, ttlMs);
        const row = await locks.read(key);
        // Released between the insert and the read: try again at once.
        if (row === null) continue;
        const recentlyAlive = (checkedAlive.get(row.holder) ?? -Infinity) + HOLDER_CHECK_MS > Date.now();
        if (!recentlyAlive && (await gone(row))) {
          if (await locks.remove(key, row.holder)) {
            if (row.hostname !== os.hostname()) lapsedHosts.set(stack, (lapsedHosts.get(stack) ?? new Set()).add(row.hostname));
            const reason =
              row.hostname === os.hostname() ? `its holder, process ${row.pid} on ${row.hostname}, is gone` : `its holder on ${row.hostname} stopped renewing its lease`;
            options.onProgress?.(`broke the stale lock of ${stack}: ${reason}`);
            await appendAudit(settings.dataDir, { action: "unlock", stack, status: "success", actor: null, reason: `deployment lock broken: ${reason}` }).catch(() => undefined);
          }
          continue;
        }
        if (!recentlyAlive && row.hostname === os.hostname()) checkedAlive.set(row.holder, Date.now());
        if (options.signal?.aborted) throw new OperationCancelledError(stack);
        const remaining = options.deadline - Date.now();
        if (remaining <= 0) throw new StackLockedError(stack, [describe(row)]);
        if (!announced) {
          options.onProgress?.(`stack ${stack} is locked by ${describe(row)}; waiting up to ${Math.ceil(remaining / 1000)} s`);
          announced = true;
        }
        // Jitter keeps many waiters from all trying in the same instant.
        await delay(Math.min(POLL_MS / 2 + Math.random() * POLL_MS, remaining), options.signal);
      }
    },
    stackLockHeld: async (stack) => (await locks.read(keyOf(stack))) !== null,
    async breakStackLock(stack, force) {
      const key = keyOf(stack);
      const row = await locks.read(key);
      if (row === null || (!force && !(await gone(row)))) return null;
      return (await locks.remove(key, row.holder)) ? describe(row) : null;
    },
    async hostLeaseState(stack, hostname): Promise<LeaseState> {
      const row = await locks.read(keyOf(stack));
      if (row !== null && row.hostname === hostname) return row.lapsed ? "expired" : "live";
      return lapsedHosts.get(stack)?.has(hostname) ? "expired" : "none";
    },
    async removeExpiredLeases(stack, hostname) {
      const row = await locks.read(keyOf(stack));
      if (row !== null && row.hostname === hostname && row.lapsed) await locks.remove(keyOf(stack), row.holder);
      lapsedHosts.get(stack)?.delete(hostname);
    },
  };
}

/** The table of stack locks beside a state table, and the statements on it. */
class LockTable {
  private readonly table: string;
  private created: Promise<void> | null = null;

  constructor(private readonly state: PostgresState) {
    this.table = quoted(`${state.table}_stack_locks`);
  }

  /**
   * Creates the table once per process, idempotently and under a transaction-scoped advisory lock, so processes on
   * several hosts starting together do not race on PostgreSQL's catalog.
   */
  ensure(): Promise<void> {
    this.created ??= (async () => {
      const client = await (await poolFor(this.state)).connect();
      try {
        await client.query("begin");
        await client.query("select pg_advisory_xact_lock(hashtext($1))", [`deployment_planner.stack_locks.${this.state.table}`]);
        await client.query(
          `create table if not exists ${this.table} (stack_key text primary key, holder text not null, hostname text not null, pid integer not null, since text not null, expires_at timestamptz not null)`,
        );
        await client.query("commit");
      } catch (error) {
        await client.query("rollback").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.created = null;
      throw error;
    });
    return this.created;
  }

  /** Takes the row for `holder` when no one holds it; false when someone does. */
  async insert(key: string, row: Omit<LockRow, "lapsed">, ttlMs: number): Promise<boolean> {
    const pool = await poolFor(this.state);
    const result = await pool.query(
      `insert into ${this.table} (stack_key, holder, hostname, pid, since, expires_at) values ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond') on conflict (stack_key) do nothing`,
      [key, row.holder, row.hostname, row.pid, row.since, ttlMs],
    );
    return result.rowCount === 1;
  }

  /** The row of a stack, or null when no one holds its lock (or the table does not exist yet). */
  async read(key: string): Promise<LockRow | null> {
    const pool = await poolFor(this.state);
    const result = await pool
      .query<LockRow>(`select holder, hostname, pid, since, expires_at <= now() as lapsed from ${this.table} where stack_key = $1`, [key])
      .catch((error: { code?: string }) => {
        if (error.code === "42P01") return { rows: [] as LockRow[] };
        throw error;
      });
    return result.rows[0] ?? null;
  }

  /** Removes the row only if `holder` still has it, so a new holder's row is never removed; whether it did. */
  async remove(key: string, holder: string): Promise<boolean> {
    const pool = await poolFor(this.state);
    const result = await pool.query(`delete from ${this.table} where stack_key = $1 and holder = $2`, [key, holder]);
    return result.rowCount === 1;
  }

  /** A held row, its lease renewed every quarter of its time to live until it is released. */
  hold(key: string, holder: string, ttlMs: number): StackLock {
    let renewal: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      // A failed renewal (the database briefly away) is tried again at the next tick, well before the lease lapses.
      renewal = renewal
        .then(async () => (await poolFor(this.state)).query(`update ${this.table} set expires_at = now() + $3 * interval '1 millisecond' where stack_key = $1 and holder = $2`, [key, holder, ttlMs]))
        .catch(() => undefined);
    }, Math.max(500, Math.floor(ttlMs / 4)));
    // A lease never keeps the process alive by itself.
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await renewal;
        await this.remove(key, holder);
      },
    };
  }
}
