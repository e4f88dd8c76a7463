import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { chown, readFile, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  EMBEDDED_POSTGRES_ALTERNATIVE,
  EmbeddedPostgresError,
  assertReachable,
  installedPostgresBinaries,
  ownedDirectory,
  postgresAccount,
  reachableBinaries,
  runsAsRoot,
  type PostgresAccount,
  type PostgresBinaries,
} from "./postgres-runtime";

/** Options of `startEmbeddedPostgres`. */
export interface EmbeddedServerOptions {
  /** The cluster's data directory: created and initialised when it holds no cluster yet. */
  readonly directory: string;
  /** The superuser `initdb` creates, with `password`. */
  readonly user: string;
  readonly password: string;
  /** Loopback port to listen on. */
  readonly port: number;
  /** Binaries to run; default those of the installed `embedded-postgres` package. */
  readonly binaries?: PostgresBinaries;
  readonly onProgress?: (line: string) => void;
  /** Longest wait for `initdb`, and then for the server to accept connections (default 120 s each). */
  readonly timeoutMs?: number;
}

/** A running embedded PostgreSQL, started by this process. */
export interface EmbeddedServer {
  readonly port: number;
  /** Stops it (a fast shutdown; killed when that takes over 30 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** What PostgreSQL prints once it accepts connections (its messages are forced to English). */
const READY_LINE = "database system is ready to accept connections";

/**
 * Initialises (once) and starts a real PostgreSQL from the `embedded-postgres` binaries. Run as root, PostgreSQL runs
 * as the `postgres` account (created when missing) from a copy of the binaries it can reach, with a data directory it
 * owns. Every wait is bounded, a child that exits or cannot be run fails the start at once, and each failure is an
 * `EmbeddedPostgresError` naming the reason (the child's last output lines) and the fix.
 */
export async function startEmbeddedPostgres(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const account = runsAsRoot() ? await postgresAccount() : null;
  const parent = path.dirname(options.directory);
  let binaries = options.binaries ?? (await installedPostgresBinaries());
  if (account !== null) {
    await assertReachable(
      parent,
      account,
      "the embedded database's directory",
      `Set DEPLOYMENT_PLANNER_POSTGRES_DIR to a directory every user can traverse (default /var/lib/deployment-planner/postgres), ${EMBEDDED_POSTGRES_ALTERNATIVE}.`,
    );
    binaries = await reachableBinaries(binaries, parent, account);
  }
  await ownedDirectory(options.directory, account);
  const spawnOptions: SpawnOptions = {
    // The server's account may not be able to enter this process's working directory.
    cwd: parent,
    // Only what the binaries need: the server's account could read anything more from /proc.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", ...(process.env.TZ ? { TZ: process.env.TZ } : {}) },
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
  };
  const fix = `Check that ${account ? `the '${account.name}' account` : "this user"} can run ${path.join(binaries.root, "bin")} and write ${options.directory}, ${EMBEDDED_POSTGRES_ALTERNATIVE}.`;

  if (!(await stat(path.join(options.directory, "PG_VERSION")).then(() => true, () => false))) {
    options.onProgress?.(`creating the embedded PostgreSQL in ${options.directory}`);
    await initialise(options, binaries, account, spawnOptions, timeoutMs, fix);
  }
  return launch(options, binaries, spawnOptions, timeoutMs, fix);
}

/** Runs `initdb` with the password in a file only the server's account reads, removed afterwards. */
async function initialise(
  options: EmbeddedServerOptions,
  binaries: PostgresBinaries,
  account: PostgresAccount | null,
  spawnOptions: SpawnOptions,
  timeoutMs: number,
  fix: string,
): Promise<void> {
  const passwordFile = `${options.directory}.initdb-password`;
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (account) await chown(passwordFile, account.uid, account.gid);
    const args = [`--pgdata=${options.directory}`, "--auth=password", `--username=${options.user}`, `--pwfile=${passwordFile}`, "--encoding=UTF8", "--locale=C"];
    const child = spawn(path.join(binaries.root, "bin", "initdb"), args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"] });
    const output = tailOf(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new EmbeddedPostgresError(`initdb did not finish within ${timeoutMs / 1000} s${output.describe()}`, fix));
      }, timeoutMs);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new EmbeddedPostgresError(`initdb could not be run: ${error.message}`, fix));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new EmbeddedPostgresError(`initdb failed (${code ?? signal})${output.describe()}`, fix));
      });
    });
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

/** Starts the server and waits, bounded, until it accepts connections or exits. */
async function launch(options: EmbeddedServerOptions, binaries: PostgresBinaries, spawnOptions: SpawnOptions, timeoutMs: number, fix: string): Promise<EmbeddedServer> {
  const args = [
    ...["-D", options.directory, "-p", String(options.port)],
    // TCP on loopback only, no Unix socket in a shared directory, and English messages for READY_LINE.
    ...["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "lc_messages=C"],
  ];
  const child = spawn(path.join(binaries.root, "bin", "postgres"), args, { ...spawnOptions, stdio: ["ignore", "ignore", "pipe"] });
  const output = tailOf(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Should this process end without stopping it (an unexpected exit), the server is told to shut down too.
  const onExit = () => child.kill("SIGINT");
  process.on("exit", onExit);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new EmbeddedPostgresError(`the embedded PostgreSQL did not accept connections within ${timeoutMs / 1000} s${output.describe()}`, fix));
      }, timeoutMs);
      output.onLine((line) => {
        if (!line.includes(READY_LINE)) return;
        clearTimeout(timer);
        resolve();
      });
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new EmbeddedPostgresError(`the embedded PostgreSQL could not be run: ${error.message}`, fix));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new EmbeddedPostgresError(`the embedded PostgreSQL exited while starting (${code ?? signal})${output.describe()}`, fix));
      });
    });
  } catch (error) {
    process.off("exit", onExit);
    throw error;
  }
  return {
    port: options.port,
    async stop() {
      process.off("exit", onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Stops a server left running in `directory` by a process that is gone (killed before it could stop it): a fast
 * shutdown, then a kill after 30 s. Resolves once it has exited, or when none runs there.
 */
export async function stopOrphanedServer(directory: string): Promise<void> {
  const pid = Number((await readFile(path.join(directory, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 1) return;
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, name);
      return true;
    } catch {
      return false;
    }
  };
  const exitedWithin = async (ms: number) => {
    for (const deadline = Date.now() + ms; signal(0) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
    return !signal(0);
  };
  if (!signal("SIGINT") || (await exitedWithin(30_000))) return;
  signal("SIGKILL");
  await exitedWithin(5_000);
}

/** The last lines a child wrote (bounded), for an error message; and each line as it comes. */
function tailOf(child: ChildProcess): { describe(): string; onLine(listener: (line: string) => void): void } {
  const lines: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let partial = "";
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop()!.slice(-4096);
    for (const line of parts) {
      if (line.trim() === "") continue;
      // The server's log prefix (time, zone, pid) says nothing about the reason.
      lines.push(line.trim().replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, "").slice(0, 300));
      if (lines.length > 12) lines.shift();
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return {
    describe: () => {
      const all = partial.trim() ? [...lines, partial.trim().slice(0, 300)] : lines;
      // The lines that give the reason, when there are such; else the last ones.
      const reasons = all.filter((line) => /^(FATAL|ERROR|PANIC|HINT|DETAIL):|could not|permission denied|invalid/i.test(line));
      const shown = (reasons.length > 0 ? reasons : all).slice(-6);
      return shown.length === 0 ? "" : `: ${shown.join(" | ")}`;
    },
    onLine: (listener) => listeners.push(listener),
  };
}
