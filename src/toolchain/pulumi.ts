import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { cliVersion, verifiedCliVersion } from "./cli-version";
import { defaultCacheRoot, PACKAGE_ROOT, removeAbandonedStaging, stagingPrefix } from "./locations";
import { isExecutableFile, runGoBuild, runTool } from "./run";

export { cliVersion, defaultCacheRoot, PACKAGE_ROOT };

/**
 * The Pulumi release the toolchain is pinned to: the CLI and `@pulumi/pulumi`. 3.276.0 is the current release; its SDK
 * declares Node.js 22, as this package does (engines `>=22.12.0`), and the Go module proxy serves its CLI as source.
 */
export const PULUMI_VERSION = "3.276.0";

/**
 * Version of the Node.js language host built from source where the release's own host cannot be had: the proxy
 * serves the host's module only up to this release. It runs directory programs (`pulumi preview` by hand) with the
 * current SDK; inline programs, which the library runs, never need a language host.
 */
export const FALLBACK_LANGUAGE_HOST_VERSION = "3.65.1";

/**
 * The `node_modules` directory holding the `@pulumi/pulumi` this package runs with (the consumer's own, as it is a
 * peer dependency). Engine processes resolve the SDK from here, wherever the workspace is.
 */
export const SDK_NODE_MODULES = path.resolve(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "..", "..");

/** How a Pulumi CLI was obtained. */
export type PulumiSource = "path" | "pulumi_home" | "cache" | "installed" | "built";

/**
 * Where the Node.js language host comes from: the release itself, the older host built from source modules
 * (`FALLBACK_LANGUAGE_HOST_VERSION`), or none (inline programs still run; directory programs do not).
 */
export type LanguageHostOrigin = "release" | "built_fallback" | "missing";

/** The Node.js language host beside a CLI. */
export interface LanguageHost {
  readonly path: string | null;
  readonly version: string | null;
  readonly origin: LanguageHostOrigin;
}

/** A usable Pulumi toolchain. */
export interface PulumiToolchain {
  /** Directory holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
  readonly binDir: string;
  readonly cliPath: string;
  readonly version: string;
  readonly source: PulumiSource;
  readonly languageHost: LanguageHost;
  /** What was done to get it, for a person. */
  readonly summary: string;
}

/** Options of `ensurePulumi`. */
export interface EnsurePulumiOptions {
  /** Progress lines while installing or building. */
  readonly onProgress?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Cache root; default `$XDG_CACHE_HOME/deployment-planner` or `~/.cache/deployment-planner`. */
  readonly cacheRoot?: string;
  /** Skip the release installer (used where the internet is known to be unreachable). Default: try it briefly. */
  readonly skipInstaller?: boolean;
  readonly signal?: AbortSignal;
}

/** Raised when no toolchain can be found, installed or built; carries every attempt's outcome. */
export class PulumiToolchainError extends Error {
  readonly code = "PULUMI_TOOLCHAIN_UNAVAILABLE" as const;
  constructor(
    message: string,
    readonly attempts: readonly string[],
  ) {
    super(message);
    this.name = "PulumiToolchainError";
  }
}

const CLI = "pulumi";
const LANGUAGE_HOST = "pulumi-language-nodejs";
const DYNAMIC_PROVIDER_SHIM = "pulumi-resource-pulumi-nodejs";

/** Directory where the pinned toolchain is cached. */
export function cachedToolchainDir(cacheRoot: string): string {
  return path.join(cacheRoot, "pulumi", `v${PULUMI_VERSION}`, "bin");
}

/**
 * Finds a Pulumi CLI of the pinned version — on PATH, in `PULUMI_HOME/bin`, or in the cache — and otherwise installs
 * the release (where the internet is reachable) or compiles it from source modules through the Go module proxy,
 * with the fallback Node.js language host beside it. The dynamic-provider shim shipped in `@pulumi/pulumi` is placed
 * beside them.
 */
export async function ensurePulumi(options: EnsurePulumiOptions = {}): Promise<PulumiToolchain> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => undefined);
  const cacheRoot = options.cacheRoot ?? defaultCacheRoot(env);
  const attempts: string[] = [];

  const candidates: { dir: string; source: PulumiSource }[] = [];
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) candidates.push({ dir, source: "path" });
  if (env.PULUMI_HOME) candidates.push({ dir: path.join(env.PULUMI_HOME, "bin"), source: "pulumi_home" });
  candidates.push({ dir: path.join(os.homedir(), ".pulumi", "bin"), source: "pulumi_home" });
  const cacheDir = cachedToolchainDir(cacheRoot);
  candidates.push({ dir: cacheDir, source: "cache" });
  // What a killed build left in the cache goes, whichever way the toolchain is found now.
  await removeAbandonedStaging(path.dirname(cacheDir));

  const seen = new Set<string>();
  for (const { dir, source } of candidates) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const found = await inspectDir(dir, source, env, cacheRoot);
    if (found.ok) return found.toolchain;
    if (found.reason) attempts.push(found.reason);
  }

  if (!options.skipInstaller && !env.DEPLOYMENT_PLANNER_SKIP_INSTALLER) {
    const installed = await tryReleaseInstaller(cacheRoot, progress, env, options.signal);
    if (installed.ok) return installed.toolchain;
    attempts.push(installed.reason);
  }

  const built = await buildFromSource(cacheRoot, progress, env, options.signal);
  if (built.ok) return built.toolchain;
  attempts.push(built.reason);
  throw new PulumiToolchainError(
    `no Pulumi CLI v${PULUMI_VERSION} could be found, installed or built:\n- ${attempts.join("\n- ")}`,
    attempts,
  );
}

type Attempt = { ok: true; toolchain: PulumiToolchain } | { ok: false; reason: string };

/** Marker file written beside a language host built from source modules, naming the host's version. */
const FALLBACK_HOST_MARKER = "LANGUAGE-HOST";

const SHIPPED_SHIM = path.join(SDK_NODE_MODULES, "@pulumi", "pulumi", DYNAMIC_PROVIDER_SHIM);

async function inspectDir(dir: string, source: PulumiSource, env: NodeJS.ProcessEnv, cacheRoot: string): Promise<Attempt & { reason?: string }> {
  const cliPath = path.join(dir, CLI);
  if (!(await isExecutableFile(cliPath))) return { ok: false, reason: "" };
  const version = await verifiedCliVersion(cliPath, env, cacheRoot);
  if (version !== PULUMI_VERSION) {
    return { ok: false, reason: `${cliPath} is version ${version || "unknown"}, not ${PULUMI_VERSION}` };
  }
  await ensureShim(dir);
  const languageHost = await inspectLanguageHost(dir);
  const where = source === "path" ? "on PATH" : source === "cache" ? "cache" : source === "pulumi_home" ? "PULUMI_HOME" : source;
  return {
    ok: true,
    toolchain: { binDir: dir, cliPath, version, source, languageHost, summary: `found pulumi v${version} in ${dir} (${where})` },
  };
}

async function inspectLanguageHost(dir: string): Promise<LanguageHost> {
  const hostPath = path.join(dir, LANGUAGE_HOST);
  if (!(await isExecutableFile(hostPath))) return { path: null, version: null, origin: "missing" };
  const marker = await readFile(path.join(dir, FALLBACK_HOST_MARKER), "utf8").catch(() => "");
  const fallbackVersion = /^v?(\d+\.\d+\.\d+)/.exec(marker.trim())?.[1];
  if (fallbackVersion) return { path: hostPath, version: fallbackVersion, origin: "built_fallback" };
  return { path: hostPath, version: PULUMI_VERSION, origin: "release" };
}

async function ensureShim(dir: string): Promise<void> {
  const target = path.join(dir, DYNAMIC_PROVIDER_SHIM);
  if (await isExecutableFile(target)) return;
  try {
    await copyFile(SHIPPED_SHIM, target);
    await chmod(target, 0o755);
  } catch {
    // A read-only PATH directory cannot take the shim; the automation layer also puts the SDK's own copy on PATH.
  }
}

async function tryReleaseInstaller(
  cacheRoot: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Attempt> {
  // The official installer script downloads the release archive; where the internet is unreachable it fails fast.
  const installRoot = path.join(cacheRoot, "pulumi", `v${PULUMI_VERSION}`);
  progress(`trying the Pulumi release installer for v${PULUMI_VERSION}`);
  const script = `set -e; curl -fsSL --max-time 20 https://get.pulumi.com -o "$1/install.sh"; sh "$1/install.sh" --version ${PULUMI_VERSION} --install-root "$1/release" --no-edit-path`;
  const staging = await mkdtemp(path.join(os.tmpdir(), "pulumi-install-"));
  try {
    const result = await runTool("sh", ["-c", script, "sh", staging], { env, timeoutMs: 120_000, signal });
    if (result.code !== 0) return { ok: false, reason: `release installer failed (${lastLine(result.output) || `exit ${result.code}`})` };
    const releaseBin = path.join(staging, "release", "bin");
    await mkdir(path.dirname(installRoot), { recursive: true });
    await rm(installRoot, { recursive: true, force: true });
    await mkdir(installRoot, { recursive: true });
    await rename(releaseBin, path.join(installRoot, "bin"));
    const found = await inspectDir(path.join(installRoot, "bin"), "installed", env, cacheRoot);
    if (!found.ok) return { ok: false, reason: found.reason || "release installer produced no usable CLI" };
    return { ok: true, toolchain: { ...found.toolchain, source: "installed", summary: `installed pulumi v${PULUMI_VERSION} release into ${installRoot}` } };
  } catch (error) {
    return { ok: false, reason: `release installer failed (${(error as Error).message})` };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A Go wrapper module under `toolchain/` and the commands it builds. */
interface GoBuild {
  readonly module: string;
  readonly packages: readonly string[];
  readonly version: string;
}

const CLI_BUILD: GoBuild = { module: "pulumi", packages: ["github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"], version: PULUMI_VERSION };
const FALLBACK_HOST_BUILD: GoBuild = {
  module: "nodejs-host",
  packages: ["github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"],
  version: FALLBACK_LANGUAGE_HOST_VERSION,
};

async function buildFromSource(
  cacheRoot: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Attempt> {
  const goVersion = await runTool("go", ["version"], { env, timeoutMs: 30_000, signal }).catch(() => null);
  if (!goVersion || goVersion.code !== 0) return { ok: false, reason: "building from source needs Go on PATH, and `go version` failed" };

  const finalDir = cachedToolchainDir(cacheRoot);
  await mkdir(path.dirname(finalDir), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(finalDir), stagingPrefix()));
  const outDir = path.join(staging, "bin");
  await mkdir(outDir);
  const started = Date.now();
  try {
    progress(`building pulumi v${PULUMI_VERSION} from source modules (first run only; several minutes)`);
    const cli = await goBuild(CLI_BUILD, staging, outDir, progress, env, signal);
    if (!cli.ok) return cli;
    // The language host only serves directory programs, so a failed host build still leaves a usable toolchain.
    progress(`building ${LANGUAGE_HOST} v${FALLBACK_LANGUAGE_HOST_VERSION} for directory programs`);
    const host = await goBuild(FALLBACK_HOST_BUILD, staging, outDir, progress, env, signal);
    if (host.ok) await writeFile(path.join(outDir, FALLBACK_HOST_MARKER), `v${FALLBACK_LANGUAGE_HOST_VERSION} built from source modules\n`);
    else progress(`warning: ${host.reason}; directory programs (pulumi preview by hand) will not run`);
    await copyFile(SHIPPED_SHIM, path.join(outDir, DYNAMIC_PROVIDER_SHIM));
    await chmod(path.join(outDir, DYNAMIC_PROVIDER_SHIM), 0o755);
    await writeFile(path.join(outDir, "BUILD-INFO"), `pulumi v${PULUMI_VERSION} built from source modules by ${goVersion.output.trim()}\n`);

    await rm(finalDir, { recursive: true, force: true });
    await rename(outDir, finalDir);
    const found = await inspectDir(finalDir, "built", env, cacheRoot);
    if (!found.ok) return { ok: false, reason: found.reason || "the build produced no usable CLI" };
    const seconds = Math.round((Date.now() - started) / 1000);
    progress(`built pulumi v${PULUMI_VERSION} in ${seconds}s into ${finalDir}`);
    return {
      ok: true,
      toolchain: { ...found.toolchain, source: "built", summary: `built pulumi v${PULUMI_VERSION} from source modules in ${seconds}s into ${finalDir}` },
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Builds one wrapper module's commands into `outDir`, from a copy so a read-only install still builds. */
async function goBuild(
  build: GoBuild,
  staging: string,
  outDir: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const wrapper = path.join(PACKAGE_ROOT, "toolchain", build.module);
  const moduleDir = path.join(staging, build.module);
  await mkdir(moduleDir);
  for (const file of await readdir(wrapper)) {
    if (/\.(mod|sum|go)$/.test(file)) await copyFile(path.join(wrapper, file), path.join(moduleDir, file));
  }
  // Pulumi's own modules are checked against the committed go.sum rather than the checksum database.
  const noSumDb = ["github.com/pulumi/pulumi", env.GONOSUMDB].filter(Boolean).join(",");
  const goEnv = { ...env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", CGO_ENABLED: "0", GONOSUMDB: noSumDb };
  progress(`downloading Go modules for ${build.module}`);
  const download = await runTool("go", ["mod", "download"], { cwd: moduleDir, env: goEnv, timeoutMs: 30 * 60_000, signal });
  if (download.code !== 0) return { ok: false, reason: `go mod download (${build.module}) failed: ${lastLine(download.output)}` };
  const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${build.version}`;
  const result = await runGoBuild(["-o", outDir + path.sep, "-ldflags", ldflags, ...build.packages], {
    cwd: moduleDir,
    env: goEnv,
    signal,
    onProgress: progress,
  });
  if (result.code !== 0) return { ok: false, reason: `go build (${build.module}) failed: ${lastLine(result.output)}` };
  return { ok: true };
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 300);
}
