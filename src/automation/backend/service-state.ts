import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AutomationError } from "../workspace/index";

/**
 * The file in a workspace's data directory where `serve` and `worker` record where the deployment service keeps
 * Pulumi's state, so every command in the workspace uses the same state. It holds no credentials.
 */
export const SERVICE_STATE_FILE = "service-state.json";

/** Where a workspace's deployment service keeps Pulumi's state, as recorded in `SERVICE_STATE_FILE`. */
export type ServiceStateRecord =
  /** The embedded PostgreSQL: its data directory, and the files with its port and its password (owner-only). */
  | {
      readonly kind: "embedded";
      readonly directory: string;
      readonly port_file: string;
      readonly password_file: string;
      readonly user: string;
      readonly database: string;
      readonly table: string;
    }
  /** A PostgreSQL named by DATABASE_URL: where it is, without user or password. */
  | { readonly kind: "database_url"; readonly location: string; readonly table: string }
  /** A backend named with `--backend`, without its password; `credentials` says whether it had one. */
  | { readonly kind: "backend"; readonly backend: string; readonly credentials: boolean };

/** The workspace's deployment service keeps its state where this process cannot reach it now; says where and how. */
export class ServiceStateUnreachableError extends AutomationError {
  override readonly name = "ServiceStateUnreachableError";
  readonly code = "SERVICE_STATE_UNREACHABLE" as const;
  readonly stage = "env_setup" as const;
  constructor(
    message: string,
    readonly fixSuggestion: string,
  ) {
    super(message);
  }
}

/**
 * Records where the workspace's deployment service keeps Pulumi's state. Returns the stacks the workspace's own file
 * backend still holds, which commands in the workspace no longer see from now on (so the service can say so).
 */
export async function recordServiceState(workspace: { readonly dir: string; readonly dataDir: string; readonly backendUrl: string }, record: ServiceStateRecord): Promise<string[]> {
  const file = path.join(workspace.dataDir, SERVICE_STATE_FILE);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  await rename(partial, file);
  const fileBackend = pathToFileURL(path.join(workspace.dir, ".pulumi-state")).href;
  if (workspace.backendUrl === fileBackend) return [];
  const names = await readdir(path.join(workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner")).catch(() => [] as string[]);
  return names.map((name) => /^(.+)\.json(\.gz)?$/.exec(name)?.[1]).filter((name): name is string => name !== undefined);
}

/** The record for a backend given to the service with `--backend`: its URL without a password. */
export function backendStateRecord(backendUrl: string): ServiceStateRecord {
  const url = parsed(backendUrl);
  if (url === null || url.password === "") return { kind: "backend", backend: backendUrl, credentials: false };
  url.password = "";
  return { kind: "backend", backend: url.toString(), credentials: true };
}

/** The record `serve` or `worker` left in a workspace's data directory, or null when none ran there. */
export async function readServiceState(dataDir: string): Promise<ServiceStateRecord | null> {
  const text = await readFile(path.join(dataDir, SERVICE_STATE_FILE), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const record = JSON.parse(text) as ServiceStateRecord;
    return typeof record === "object" && record !== null && typeof record.kind === "string" ? record : null;
  } catch {
    return null;
  }
}

/**
 * The backend URL of the state the workspace's deployment service keeps, for a command run in the same workspace; null
 * when no service ran there. Throws `ServiceStateUnreachableError` saying where the state is and how to reach it when
 * it cannot be reached from here (the embedded database is not running, DATABASE_URL is not set, ...).
 */
export async function serviceStateBackend(dataDir: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const record = await readServiceState(dataDir);
  if (record === null) return null;
  const other = `or pass --backend <url> (or set PULUMI_BACKEND_URL) for another backend (the service's is recorded in ${path.join(dataDir, SERVICE_STATE_FILE)})`;
  switch (record.kind) {
    case "embedded":
      return embeddedBackend(record, other);
    case "database_url": {
      const where = `this workspace's stacks are kept by its deployment service in PostgreSQL at ${record.location} (table ${record.table})`;
      const url = env.DATABASE_URL ? parsed(env.DATABASE_URL) : null;
      if (url === null) {
        throw new ServiceStateUnreachableError(`${where}, and DATABASE_URL is not set here`, `Set DATABASE_URL to that database, as for \`deployment-planner serve\`, ${other}.`);
      }
      if (`${url.protocol}//${url.host}${url.pathname}`.replace(/^postgresql:/, "postgres:") !== record.location.replace(/^postgresql:/, "postgres:")) {
        throw new ServiceStateUnreachableError(`${where}, and DATABASE_URL names another database`, `Set DATABASE_URL to the service's database, ${other}.`);
      }
      return withTable(env.DATABASE_URL!, record.table);
    }
    case "backend":
      if (record.credentials) {
        throw new ServiceStateUnreachableError(
          `this workspace's stacks are kept by its deployment service in ${record.backend}, whose credentials are not recorded`,
          `Pass the same --backend (or PULUMI_BACKEND_URL) the service was given, with its credentials, ${other}.`,
        );
      }
      return record.backend;
  }
}

async function embeddedBackend(record: Extract<ServiceStateRecord, { kind: "embedded" }>, other: string): Promise<string> {
  const where = `this workspace's stacks are kept by its deployment service in an embedded PostgreSQL (data in ${record.directory})`;
  const port = Number((await readFile(record.port_file, "utf8").catch(() => "")).trim());
  let password: string;
  try {
    password = (await readFile(record.password_file, "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES") {
      throw new ServiceStateUnreachableError(`${where}, whose password only the user that runs the service may read`, `Run the command as the user that runs \`deployment-planner serve\`, ${other}.`);
    }
    password = "";
  }
  if (!Number.isInteger(port) || port <= 0 || password === "" || !(await answers(port))) {
    throw new ServiceStateUnreachableError(
      `${where}, which is not running`,
      `Start \`deployment-planner serve\` in this workspace (it runs that database) and run the command again, ${other}.`,
    );
  }
  const url = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(record.database)}?sslmode=disable`);
  url.username = encodeURIComponent(record.user);
  url.password = encodeURIComponent(password);
  return withTable(url.toString(), record.table);
}

function parsed(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** A PostgreSQL URL as Pulumi's backend takes it: `postgres://`, with the state's table. */
function withTable(connection: string, table: string): string {
  const url = new URL(connection.replace(/^postgresql:/, "postgres:"));
  if (!url.searchParams.has("table")) url.searchParams.set("table", table);
  return url.toString();
}

/** Whether something accepts connections on the loopback port, within two seconds. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
