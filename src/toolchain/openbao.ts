import { copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultCacheRoot, PACKAGE_ROOT, removeAbandonedStaging, stagingPrefix } from "./locations";
import { isExecutableFile, runGoBuild, runTool } from "./run";

/** The OpenBao release the wrapper module in `toolchain/openbao` pins. */
export const OPENBAO_VERSION = "2.4.0";
/** The commit of that release, stamped into the binary. */
const OPENBAO_COMMIT = "f9407a27fbee45f62ba521bba2bf1e2360c61031";
/** Variable naming an OpenBao (or Vault) binary to use instead of finding or building one. */
export const OPENBAO_BIN_ENV = "DEPLOYMENT_PLANNER_OPENBAO_BIN";

/** A usable OpenBao server binary. */
export interface OpenBaoBinary {
  readonly path: string;
  /** Version the binary reports, e.g. `2.4.0`. */
  readonly version: string;
  /** `env`: named by DEPLOYMENT_PLANNER_OPENBAO_BIN; `path`: `bao` on PATH; `cache`: built earlier; `built`: just now. */
  readonly obtained: "env" | "path" | "cache" | "built";
}

/** Options of `ensureOpenBao`. */
export interface EnsureOpenBaoOptions {
  readonly onProgress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Cache root; default `$XDG_CACHE_HOME/deployment-planner` or `~/.cache/deployment-planner`. */
  readonly cacheRoot?: string;
  readonly signal?: AbortSignal;
}

/** Raised when OpenBao can be neither found nor built; `attempts` says what was tried. */
export class OpenBaoUnavailableError extends Error {
  readonly code = "OPENBAO_UNAVAILABLE" as const;
  constructor(
    message: string,
    readonly attempts: readonly string[],
  ) {
    super(message);
    this.name = "OpenBaoUnavailableError";
  }
}

/** Path of the cached OpenBao binary. */
export function cachedOpenBaoPath(cacheRoot: string): string {
  return path.join(cacheRoot, "openbao", OPENBAO_VERSION, "bao");
}

/**
 * Finds an OpenBao server binary — the one DEPLOYMENT_PLANNER_OPENBAO_BIN names, `bao` on PATH, or the cached build —
 * and otherwise compiles the pinned release from source modules through the Go module proxy into the cache
 * (several minutes, once per machine). Concurrent callers share one build through a lock directory.
 */
export async function ensureOpenBao(options: EnsureOpenBaoOptions = {}): Promise<OpenBaoBinary> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => undefined);
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot(env);
  const attempts: string[] = [];

  const named = env[OPENBAO_BIN_ENV];
  if (named) {
    const version = await baoVersion(named, env);
    if (version) return { path: named, version, obtained: "env" };
    attempts.push(`${OPENBAO_BIN_ENV}=${named} does not run as an OpenBao/Vault binary`);
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, "bao");
    if (!(await isExecutableFile(candidate))) continue;
    // Any OpenBao release serves the KV v2 API the tests use, so a bao on PATH is taken whatever its version.
    const version = await baoVersion(candidate, env);
    if (version) return { path: candidate, version, obtained: "path" };
    attempts.push(`${candidate} is not a working OpenBao binary`);
  }

  const target = cachedOpenBaoPath(cacheRoot);
  const cached = await fromCache(target, env);
  if (cached) return cached;

  await mkdir(path.dirname(target), { recursive: true });
  const lock = `${target}.lock`;
  const release = await acquireLock(lock, () => isExecutableFile(target), progress, options.signal);
  try {
    // Another process may have finished the build while this one waited for the lock.
    const builtMeanwhile = await fromCache(target, env);
    if (builtMeanwhile) return builtMeanwhile;
    const built = await build(target, progress, env, options.signal);
    if (built.ok) return built.binary;
    attempts.push(built.reason);
  } finally {
    await release();
  }
  throw new OpenBaoUnavailableError(`OpenBao ${OPENBAO_VERSION} could not be found or built:\n- ${attempts.join("\n- ")}`, attempts);
}

async function fromCache(target: string, env: NodeJS.ProcessEnv): Promise<OpenBaoBinary | undefined> {
  if (!(await isExecutableFile(target))) return undefined;
  const version = await baoVersion(target, env);
  return version ? { path: target, version, obtained: "cache" } : undefined;
}

async function build(
  target: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<{ ok: true; binary: OpenBaoBinary } | { ok: false; reason: string }> {
  const goVersion = await runTool("go", ["version"], { env, timeoutMs: 30_000, signal }).catch(() => null);
  if (!goVersion || goVersion.code !== 0) return { ok: false, reason: "building OpenBao needs Go on PATH, and `go version` failed" };

  await mkdir(path.dirname(target), { recursive: true });
  await removeAbandonedStaging(path.dirname(target));
  const staging = await mkdtemp(path.join(path.dirname(target), stagingPrefix()));
  try {
    // Built from a copy so a read-only checkout works and any go.sum update stays out of the tree.
    const wrapper = path.join(PACKAGE_ROOT, "toolchain", "openbao");
    for (const file of ["go.mod", "go.sum"]) await copyFile(path.join(wrapper, file), path.join(staging, file));
    const goEnv = { ...env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };
    const ldflags = [
      "-s",
      "-w",
      `-X github.com/openbao/openbao/version.fullVersion=${OPENBAO_VERSION}`,
      `-X github.com/openbao/openbao/version.GitCommit=${OPENBAO_COMMIT}`,
    ].join(" ");
    const output = path.join(staging, "bao");
    const started = Date.now();
    progress(`building OpenBao ${OPENBAO_VERSION} from source modules (first run only; several minutes)`);
    const result = await runGoBuild(["-ldflags", ldflags, "-o", output, "github.com/openbao/openbao"], {
      cwd: staging,
      env: goEnv,
      signal,
      onProgress: progress,
    });
    if (result.code !== 0) return { ok: false, reason: `go build of OpenBao failed: ${lastLines(result.output)}` };
    const version = await baoVersion(output, env);
    if (!version) return { ok: false, reason: "the OpenBao build produced a binary that does not run" };
    await writeFile(path.join(path.dirname(target), "BUILD-INFO"), `OpenBao ${OPENBAO_VERSION} (${OPENBAO_COMMIT}) built by ${goVersion.output.trim()}\n`);
    await rename(output, target);
    const seconds = Math.round((Date.now() - started) / 1000);
    progress(`built OpenBao ${version} in ${seconds}s into ${target}`);
    return { ok: true, binary: { path: target, version, obtained: "built" } };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A build older than this is taken to belong to a process that died. */
const STALE_LOCK_MS = 90 * 60_000;

async function acquireLock(
  lock: string,
  done: () => Promise<boolean>,
  progress: (line: string) => void,
  signal?: AbortSignal,
): Promise<() => Promise<void>> {
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (await done()) return async () => undefined;
    if (!announced) progress("another process is building OpenBao; waiting for it");
    announced = true;
    if (signal?.aborted) throw new Error("cancelled while waiting for the OpenBao build");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** Version an OpenBao or Vault binary prints (`OpenBao v2.4.0 (...)` → `2.4.0`), or "" when it does not run. */
export async function baoVersion(binary: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const result = await runTool(binary, ["version"], { env, timeoutMs: 30_000 }).catch(() => null);
  if (!result || result.code !== 0) return "";
  return /(?:OpenBao|Vault) v(\S+)/.exec(result.output)?.[1] ?? "";
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-5).join(" | ").slice(0, 800);
}
