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
