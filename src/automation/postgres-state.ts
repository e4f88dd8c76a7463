import type { Pool } from "pg";
import type { PlannerWorkspace } from "./workspace";

/** Where Pulumi's PostgreSQL backend keeps a workspace's state: the database, the table, and the keys' prefix. */
interface PostgresState {
  readonly connectionString: string;
  readonly table: string;
  /** Keys start with the database's name, then the `.pulumi` tree a file backend has (`<db>/.pulumi/locks/...`). */
  readonly root: string;
}

/** The PostgreSQL state backend a workspace uses, or null when it uses another backend. */
export function postgresState(workspace: Pick<PlannerWorkspace, "backendUrl">): PostgresState | null {
  if (!/^postgres(ql)?:\/\//.test(workspace.backendUrl)) return null;
  const url = new URL(workspace.backendUrl);
  const table = url.searchParams.get("table") ?? "pulumi_state";
  url.searchParams.delete("table");
  return { connectionString: url.toString(), table, root: `${decodeURIComponent(url.pathname.slice(1))}/.pulumi` };
}

/** Identifiers are quoted, so a configured table name is never read as SQL. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const pools = new Map<string, Promise<Pool>>();

/** One small pool per state database, which lets the process exit while idle. */
function poolFor(state: PostgresState): Promise<Pool> {
  let pool = pools.get(state.connectionString);
  if (!pool) {
    pool = import("pg").then(({ Pool: PoolClass }) => {
      const created = new PoolClass({ connectionString: state.connectionString, max: 2, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 });
      // A dropped idle connection is replaced on the next query; it must not end the process.
      created.on("error", () => undefined);
      return created;
    });
    pools.set(state.connectionString, pool);
  }
  return pool;
}

/** The documents under `<root>/<segments...>/` in the state table (e.g. a stack's lock files), keyed by their full key. */
export async function postgresStateDocuments(state: PostgresState, ...segments: string[]): Promise<{ key: string; data: unknown }[]> {
  const pool = await poolFor(state);
  const prefix = `${[state.root, ...segments].join("/")}/`;
  // A missing table means the backend has stored nothing yet.
  const rows = await pool
    .query<{ key: string; data: unknown }>(`select key, data from ${quoted(state.table)} where starts_with(key, $1)`, [prefix])
    .catch((error: { code?: string }) => {
      if (error.code === "42P01") return { rows: [] as { key: string; data: unknown }[] };
      throw error;
    });
  return rows.rows;
}

/** Removes one document of the state table (a stale lock). */
export async function removePostgresStateDocument(state: PostgresState, key: string): Promise<void> {
  const pool = await poolFor(state);
  await pool.query(`delete from ${quoted(state.table)} where key = $1`, [key]);
}

/**
 * The JSON object a state document holds. The backend stores each blob as `{"data": "<base64 of its bytes>"}`; a
 * document that is not such a blob of a JSON object (a lock cut short) is read as an empty object.
 */
export function postgresDocumentJson(document: unknown): Record<string, unknown> {
  const encoded = typeof document === "object" && document !== null ? (document as { data?: unknown }).data : undefined;
  if (typeof encoded !== "string") return {};
  try {
    const parsed = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
