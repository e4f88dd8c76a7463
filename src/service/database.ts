import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Pool } from "pg";
import { freeLoopbackPort, loopbackPortIsFree } from "../ports";
import { isSameProcess, type ServiceStateRecord } from "../automation/index";
import { startEmbeddedPostgres, stopOrphanedServer } from "./embedded-postgres";
import { migrate, PULUMI_STATE_TABLE } from "./migrations";
import { EmbeddedPostgresError, type PostgresBinaries } from "./postgres-runtime";
import { failure, type FailureResult } from "../outcome";

/** The service's PostgreSQL: a pool, and how to let go of it. */
export interface ServiceDatabase {
  readonly pool: Pool;
  /** Where it runs, without credentials (for logs and `doctor`). */
  readonly location: string;
  /** Whether this process started the embedded server (and `close` stops it). */
  readonly embedded: boolean;
  /** The embedded server's data directory, when it runs one. */
  readonly directory?: string;
  /** Where Pulumi's state lives when the service keeps it here, for the workspace's other commands (no credentials). */
  readonly state: ServiceStateRecord;
  /** How to connect again (the job queue opens its own pool); holds the password, so it is never printed. */
  readonly connection: { readonly connectionString: string } | { readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string };
  close(): Promise<void>;
}

/** Options of `openServiceDatabase`. */
export interface ServiceDatabaseOptions {
  /** A `postgres://` URL; default `DATABASE_URL`; absent: the embedded server in `dataDir`. */
  readonly databaseUrl?: string;
  /** The workspace's data directory, where the embedded server keeps its files. */
  readonly dataDir: string;
  readonly onProgress?: (line: string) => void;
  /** The embedded server's binaries; default those of the installed `embedded-postgres` package. */
  readonly binaries?: PostgresBinaries;
}

/** The embedded server's database user; its password is generated once and kept in a 0600 file. */
const EMBEDDED_USER = "deployment_planner";

/**
 * Opens the service's database and brings its schema up to date. With a URL, any PostgreSQL (shared by every API and
 * worker process); without one, a real PostgreSQL embedded in the workspace (the `embedded-postgres` packages ship
 * its binaries): started here, or joined when another process of this workspace already runs it.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<ServiceDatabase> {
  const url = options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
  const { Pool } = await import("pg");
  if (url) {
    // Bounded, so an unreachable host fails the start instead of hanging it.
    const pool = quietIdleErrors(new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 }));
    await migrate(pool);
    const parsed = new URL(url);
    const location = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    const state = { kind: "database_url", location, table: PULUMI_STATE_TABLE } as const;
    return { pool, location, embedded: false, state, connection: { connectionString: url }, close: () => pool.end() };
  }
  return openEmbedded(options, Pool);
}

async function openEmbedded(options: ServiceDatabaseOptions, PoolClass: typeof Pool): Promise<ServiceDatabase> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const dir = await embeddedDirectory(options.dataDir);
  // Kept beside the server's data, so the two never part (a root-run server's data lives outside the workspace).
  const password = await embeddedPassword(`${dir}.secret`);
  const portFile = path.join(options.dataDir, "postgres.port");
  const recordedPort = Number(await readFile(portFile, "utf8").catch(() => ""));
  const state = { kind: "embedded", directory: dir, port_file: portFile, password_file: `${dir}.secret`, user: EMBEDDED_USER, database: "postgres", table: PULUMI_STATE_TABLE } as const;
  const connect = (port: number) =>
    quietIdleErrors(new PoolClass({ host: "127.0.0.1", port, user: EMBEDDED_USER, password, database: "postgres", max: 10, connectionTimeoutMillis: 5_000 }));

  // Another process of this workspace (a running `serve`) may hold the server already; one whose starter was killed
  // (nothing would ever stop it) is stopped and started again by this process.
  const ownerFile = path.join(options.dataDir, "postgres.owner");
  if (Number.isInteger(recordedPort) && recordedPort > 0) {
    const pool = connect(recordedPort);
    const answers = await pool.query("select 1").then(() => true, () => false);
    if (answers && !(await ownerGone(ownerFile))) {
      await migrate(pool);
      const connection = { host: "127.0.0.1", port: recordedPort, user: EMBEDDED_USER, password, database: "postgres" };
      return { pool, location: `embedded postgres on 127.0.0.1:${recordedPort} (another process)`, embedded: false, state, connection, close: () => pool.end() };
    }
    await pool.end().catch(() => undefined);
    if (answers) await stopOrphanedServer(dir);
  }

  const port = Number.isInteger(recordedPort) && recordedPort > 0 && (await loopbackPortIsFree(recordedPort)) ? recordedPort : await freeLoopbackPort();
  const server = await startEmbeddedPostgres({ directory: dir, user: EMBEDDED_USER, password, port, binaries: options.binaries, onProgress: options.onProgress });
  await writeFile(portFile, String(port), { mode: 0o600 });
  await writeFile(ownerFile, JSON.stringify({ pid: process.pid, since: Date.now() }), { mode: 0o600 });
  const pool = connect(port);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    throw error;
  }
  return {
    pool,
    location: `embedded postgres on 127.0.0.1:${port}`,
    embedded: true,
    directory: dir,
    state,
    connection: { host: "127.0.0.1", port, user: EMBEDDED_USER, password, database: "postgres" },
    async close() {
      await pool.end().catch(() => undefined);
      await server.stop();
    },
  };
}

/**
 * What a command that needs the service's database reports when it cannot be opened: the embedded server's own reason
 * and fix, or the connection's error.
 */
export function serviceDatabaseFailure(error: unknown): FailureResult {
  if (error instanceof EmbeddedPostgresError) return failure(error.stage, error.message, error.fixSuggestion);
  return failure(
    "env_setup",
    `the service database is not reachable: ${((error as Error)?.message ?? String(error)).split("\n")[0]}`,
    "Set DATABASE_URL (or --database-url) to a reachable PostgreSQL, or leave it unset for the workspace's embedded one.",
  );
}

/** Whether the process recorded as having started the embedded server is gone (unknown when there is no record). */
async function ownerGone(ownerFile: string): Promise<boolean> {
  let owner: { pid?: unknown; since?: unknown };
  try {
    owner = (JSON.parse(await readFile(ownerFile, "utf8")) as typeof owner) ?? {};
  } catch {
    return false;
  }
  if (typeof owner.pid !== "number" || typeof owner.since !== "number") return false;
  return !(await isSameProcess(owner.pid, owner.since));
}

/** Environment variable: where a root-run embedded PostgreSQL keeps its data (default /var/lib/deployment-planner/postgres). */
export const EMBEDDED_POSTGRES_DIR_ENV = "DEPLOYMENT_PLANNER_POSTGRES_DIR";

/**
 * The embedded server's data directory: in the workspace's data directory, or, when this runs as root (PostgreSQL
 * then runs as a user of its own, which cannot enter the owner-only directories above the workspace's), in a system
 * directory named by the workspace.
 */
async function embeddedDirectory(dataDir: string): Promise<string> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return path.join(dataDir, "postgres");
  const base = process.env[EMBEDDED_POSTGRES_DIR_ENV] || "/var/lib/deployment-planner/postgres";
  await mkdir(base, { recursive: true, mode: 0o711 });
  return path.join(base, createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 16));
}

/**
 * An idle pooled connection the server closes (a restart, a failover, the embedded server stopping) is dropped by the
 * pool; without a listener its error would end the process. Queries in flight still get their own errors.
 */
function quietIdleErrors(pool: Pool): Pool {
  pool.on("error", () => undefined);
  return pool;
}

/** The embedded server's password: generated once, kept readable by its owner only. */
async function embeddedPassword(file: string): Promise<string> {
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) return existing;
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, password, { mode: 0o600, flag: "wx" }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return (await readFile(file, "utf8")).trim();
}

/**
 * The service's database as a Pulumi state backend (its `postgres://` self-managed backend, in a table of its own),
 * so every API and worker process on every machine sees the same stacks, history and locks. Holds the password:
 * it goes to the engine through its environment, never into a log.
 */
export function pulumiStateUrl(database: ServiceDatabase): string {
  const connection = database.connection;
  const url =
    "connectionString" in connection
      ? new URL(connection.connectionString.replace(/^postgresql:/, "postgres:"))
      : new URL(`postgres://${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}/${connection.database}?sslmode=disable`);
  if (!url.searchParams.has("table")) url.searchParams.set("table", PULUMI_STATE_TABLE);
  // The engine's PostgreSQL driver requires TLS unless told otherwise, while the service's own client (pg) uses TLS
  // only when the URL asks for it: the engine is given the same choice the service made, so both reach one database.
  if (!url.searchParams.has("sslmode")) {
    const ssl = url.searchParams.get("ssl");
    url.searchParams.delete("ssl");
    url.searchParams.set("sslmode", ssl === "true" || ssl === "1" ? "require" : "disable");
  }
  return url.toString();
}

/** Replaces the database's password in text the service records or prints (an engine error may quote its backend). */
export function credentialRedactor(database: Pick<ServiceDatabase, "connection">): (text: string) => string {
  const connection = database.connection;
  // Every form the password can take: as written in the URL (`pa$s%40word`), as the URL parser normalizes it,
  // percent-decoded, and re-encoded; an engine error or a backend URL may quote any of them.
  const written = "connectionString" in connection ? passwordAsWritten(connection.connectionString) : null;
  const parsed = "connectionString" in connection ? new URL(connection.connectionString).password : null;
  const password = parsed !== null ? safeDecode(parsed) : (connection as { password: string }).password;
  if (password.length < 4) return (text) => text;
  const forms = [...new Set([written, parsed, password, encodeURIComponent(password)].filter((form): form is string => form !== null && form.length >= 4))]
    // Longest first, so a form containing another is masked whole.
    .sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((masked, form) => masked.split(form).join("[secret]"), text);
}

/** The password of a `scheme://user:password@host` URL exactly as the text writes it, or null without one. */
function passwordAsWritten(url: string): string | null {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1];
  const colon = userinfo?.indexOf(":") ?? -1;
  return userinfo !== undefined && colon >= 0 ? userinfo.slice(colon + 1) : null;
}

/** `text` percent-decoded, or as it is when it is not valid percent-encoding. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
