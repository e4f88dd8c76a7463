import type { Pool } from "pg";
import { requireServicePackages } from "../workspace/index";

/** Where Pulumi's PostgreSQL backend keeps a workspace's state: the database, the table, and the keys' prefix. */
export interface PostgresState {
  readonly connectionString: string;
  readonly table: string;
  /** Keys start with the database's name, then the `.pulumi` tree a file backend has (`<db>/.pulumi/locks/...`). */
  readonly root: string;
}

/** Where the PostgreSQL state backend at `backendUrl` (a `postgres://` URL) keeps its documents. */
export function postgresStateAt(backendUrl: string): PostgresState {
  const url = new URL(backendUrl);
  const table = url.searchParams.get("table") ?? "pulumi_state";
  url.searchParams.delete("table");
  return { connectionString: url.toString(), table, root: `${decodeURIComponent(url.pathname.slice(1))}/.pulumi` };
}

/** Identifiers are quoted, so a configured table name is never read as SQL. */
export function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const pools = new Map<string, Promise<Pool>>();

/** One small pool per state database, which lets the process exit while idle. */
export function poolFor(state: PostgresState): Promise<Pool> {
  let pool = pools.get(state.connectionString);
  if (!pool) {
    // An optional peer of the library: only this backend needs it, so its absence is named here with the fix.
    requireServicePackages(["pg"], "Reading Pulumi's PostgreSQL state backend");
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

/** The names directly under `<root>/<segments...>/` (documents there, and the folders their keys imply). */
export async function postgresStateNames(state: PostgresState, ...segments: string[]): Promise<string[]> {
  const pool = await poolFor(state);
  const prefix = `${[state.root, ...segments].join("/")}/`;
  const rows = await pool
    .query<{ name: string }>(`select distinct split_part(substr(key, length($1) + 1), '/', 1) as name from ${quoted(state.table)} where starts_with(key, $1)`, [prefix])
    .catch((error: { code?: string }) => {
      if (error.code === "42P01") return { rows: [] as { name: string }[] };
      throw error;
    });
  return rows.rows.map((row) => row.name).filter((name) => name !== "");
}

/** The text of the document at `<root>/<segments...>`, or null when there is none. */
export async function postgresStateDocumentText(state: PostgresState, ...segments: string[]): Promise<string | null> {
  const pool = await poolFor(state);
  const rows = await pool
    .query<{ data: unknown }>(`select data from ${quoted(state.table)} where key = $1`, [[state.root, ...segments].join("/")])
    .catch((error: { code?: string }) => {
      if (error.code === "42P01") return { rows: [] as { data: unknown }[] };
      throw error;
    });
  return rows.rows.length === 0 ? null : postgresDocumentText(rows.rows[0]!.data);
}

/**
 * Adds a document to the state table, stored as the backend stores its blobs (`{"data": "<base64>"}`), unless one
 * exists under its key. False when one exists, or the table does not exist yet (the engine creates it on first use).
 */
export async function addPostgresStateDocument(state: PostgresState, text: string, ...segments: string[]): Promise<boolean> {
  const pool = await poolFor(state);
  const result = await pool
    .query(`insert into ${quoted(state.table)} (key, data) values ($1, $2::json) on conflict (key) do nothing`, [
      [state.root, ...segments].join("/"),
      JSON.stringify({ data: Buffer.from(text, "utf8").toString("base64") }),
    ])
    .catch((error: { code?: string }) => {
      if (error.code === "42P01") return { rowCount: 0 };
      throw error;
    });
  return (result.rowCount ?? 0) === 1;
}

/** Removes one document of the state table (a stale lock). */
export async function removePostgresStateDocument(state: PostgresState, key: string): Promise<void> {
  const pool = await poolFor(state);
  await pool.query(`delete from ${quoted(state.table)} where key = $1`, [key]);
}

/**
 * The bytes a state document holds, as text. The backend stores each blob as `{"data": "<base64 of its bytes>"}`;
 * anything else is its own JSON text.
 */
export function postgresDocumentText(document: unknown): string {
  const encoded = typeof document === "object" && document !== null ? (document as { data?: unknown }).data : undefined;
  if (typeof encoded === "string" && Object.keys(document as object).length === 1) return Buffer.from(encoded, "base64").toString("utf8");
  return typeof document === "string" ? document : JSON.stringify(document);
}

/** The JSON object a state document holds; a document that is not a JSON object (a lock cut short) is an empty one. */
export function postgresDocumentJson(document: unknown): Record<string, unknown> {
  try {
    const parsed = JSON.parse(postgresDocumentText(document)) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
