import { readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Where the toolchains live: this package's own root (its Go wrapper modules) and the cache that toolchains installed
 * or built for it are kept in. Shared by the Pulumi and OpenBao toolchains.
 */

/** Root of this package (where package.json and the toolchain's Go wrapper modules live), from `src/` or `dist/`. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/** Default cache root for toolchains this package installs or builds. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(base, "deployment-planner");
}

/** Prefix of a toolchain build's staging directory beside its target: it names the building process. */
export function stagingPrefix(): string {
  return `.build-${process.pid}-`;
}

/** No build runs this long (module downloads and two builds, each bounded), so an older staging directory is left over. */
const STAGING_MAX_AGE_MS = 4 * 60 * 60 * 1000;

/**
 * Removes the staging directories under `dir` that a killed build left behind: those whose process is gone, and any
 * older than the longest build. A build in progress (its process alive) keeps its own.
 */
export async function removeAbandonedStaging(dir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(".build-")) continue;
    const pid = Number(/^\.build-(\d+)-/.exec(name)?.[1] ?? Number.NaN);
    const info = await stat(path.join(dir, name)).catch(() => null);
    if (!info) continue;
    const gone = Number.isInteger(pid) && pid > 0 ? !processRuns(pid) : false;
    if (!gone && now - info.mtimeMs < STAGING_MAX_AGE_MS) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
