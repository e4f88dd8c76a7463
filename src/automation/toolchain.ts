import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isExecutableFile, runTool } from "../toolchain/run";

/** The Pulumi version the whole toolchain is pinned to: the CLI, the Node.js language host and `@pulumi/pulumi`. */
export const PULUMI_VERSION = "3.65.1";

/** Root of the repository (where package.json and the toolchain's Go wrapper module live). */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/** Where this package's npm dependencies live; the dynamic-provider shim resolves `@pulumi/pulumi` from here. */
export const PACKAGE_NODE_MODULES = path.join(PACKAGE_ROOT, "node_modules");

/** How a Pulumi CLI was obtained. */
export type PulumiSource = "path" | "pulumi_home" | "cache" | "installed" | "built";

/** A usable Pulumi toolchain. */
export interface PulumiToolchain {
  /** Directory holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`. */
  readonly binDir: string;
  readonly cliPath: string;
  readonly languageHostPath: string;
  readonly version: string;
  readonly source: PulumiSource;
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

/** Default cache root for toolchains this package installs or builds. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(base, "deployment-planner");
}

/** Directory where the pinned toolchain is cached. */
export function cachedToolchainDir(cacheRoot: string): string {
  return path.join(cacheRoot, "pulumi", `v${PULUMI_VERSION}`, "bin");
}

/**
 * Finds a Pulumi CLI and Node.js language host of the pinned version — on PATH, in `PULUMI_HOME/bin`, or in the
 * cache — and otherwise installs the release (where the internet is reachable) or compiles both from source modules
 * through the Go module proxy. The dynamic-provider shim shipped in `@pulumi/pulumi` is placed beside them.
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

  const seen = new Set<string>();
  for (const { dir, source } of candidates) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const found = await inspectDir(dir, source, env);
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

async function inspectDir(dir: string, source: PulumiSource, env: NodeJS.ProcessEnv): Promise<Attempt & { reason?: string }> {
  const cliPath = path.join(dir, CLI);
  if (!(await isExecutableFile(cliPath))) return { ok: false, reason: "" };
  const version = await cliVersion(cliPath, env);
  if (version !== PULUMI_VERSION) {
    return { ok: false, reason: `${cliPath} is version ${version || "unknown"}, not ${PULUMI_VERSION}` };
  }
  const languageHostPath = path.join(dir, LANGUAGE_HOST);
  if (!(await isExecutableFile(languageHostPath))) {
    return { ok: false, reason: `${dir} has pulumi ${PULUMI_VERSION} but no ${LANGUAGE_HOST}` };
  }
  await ensureShim(dir);
  return {
    ok: true,
    toolchain: {
      binDir: dir,
      cliPath,
      languageHostPath,
      version,
      source,
      summary: `found pulumi v${version} in ${dir} (${source === "path" ? "on PATH" : source === "cache" ? "cache" : "PULUMI_HOME"})`,
    },
  };
}

async function ensureShim(dir: string): Promise<void> {
  const target = path.join(dir, DYNAMIC_PROVIDER_SHIM);
  if (await isExecutableFile(target)) return;
  const shipped = path.join(PACKAGE_NODE_MODULES, "@pulumi", "pulumi", DYNAMIC_PROVIDER_SHIM);
  try {
    await copyFile(shipped, target);
    await chmod(target, 0o755);
  } catch {
    // A read-only PATH directory cannot take the shim; the automation layer also puts the package's own copy on PATH.
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
    const found = await inspectDir(path.join(installRoot, "bin"), "installed", env);
    if (!found.ok) return { ok: false, reason: found.reason || "release installer produced no usable CLI" };
    return { ok: true, toolchain: { ...found.toolchain, source: "installed", summary: `installed pulumi v${PULUMI_VERSION} release into ${installRoot}` } };
  } catch (error) {
    return { ok: false, reason: `release installer failed (${(error as Error).message})` };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function buildFromSource(
  cacheRoot: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<Attempt> {
  const goVersion = await runTool("go", ["version"], { env, timeoutMs: 30_000, signal }).catch(() => null);
  if (!goVersion || goVersion.code !== 0) return { ok: false, reason: "building from source needs Go on PATH, and `go version` failed" };

  const wrapper = path.join(PACKAGE_ROOT, "toolchain");
  const finalDir = cachedToolchainDir(cacheRoot);
  await mkdir(path.dirname(finalDir), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(finalDir), ".build-"));
  // The wrapper module is copied so that a read-only checkout still builds and go.sum updates stay out of the tree.
  const moduleDir = path.join(staging, "module");
  await mkdir(moduleDir);
  for (const file of await readdir(wrapper)) {
    if (/\.(mod|sum|go)$/.test(file)) await copyFile(path.join(wrapper, file), path.join(moduleDir, file));
  }
  const goEnv = { ...env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };
  const started = Date.now();
  try {
    progress(`building pulumi v${PULUMI_VERSION} and ${LANGUAGE_HOST} from source modules (first run only; several minutes)`);
    progress("downloading Go modules");
    const download = await runTool("go", ["mod", "download"], { cwd: moduleDir, env: goEnv, timeoutMs: 30 * 60_000, signal });
    if (download.code !== 0) return { ok: false, reason: `go mod download failed: ${lastLine(download.output)}` };

    const ldflags = [
      `-X github.com/pulumi/pulumi/pkg/v3/version.Version=v${PULUMI_VERSION}`,
      `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}`,
    ].join(" ");
    const outDir = path.join(staging, "bin");
    await mkdir(outDir);
    let compiled = 0;
    const build = await runTool(
      "go",
      [
        "build",
        "-v",
        "-trimpath",
        "-o",
        outDir + path.sep,
        "-ldflags",
        ldflags,
        "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
        "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
      ],
      {
        cwd: moduleDir,
        env: goEnv,
        timeoutMs: 60 * 60_000,
        signal,
        onLine: () => {
          compiled += 1;
          if (compiled % 200 === 0) progress(`compiled ${compiled} packages`);
        },
      },
    );
    if (build.code !== 0) return { ok: false, reason: `go build failed: ${lastLine(build.output)}` };
    const shipped = path.join(PACKAGE_NODE_MODULES, "@pulumi", "pulumi", DYNAMIC_PROVIDER_SHIM);
    await copyFile(shipped, path.join(outDir, DYNAMIC_PROVIDER_SHIM));
    await chmod(path.join(outDir, DYNAMIC_PROVIDER_SHIM), 0o755);
    await writeFile(path.join(outDir, "BUILD-INFO"), `pulumi v${PULUMI_VERSION} built from source modules by ${goVersion.output.trim()}\n`);

    await rm(finalDir, { recursive: true, force: true });
    await rename(outDir, finalDir);
    const found = await inspectDir(finalDir, "built", env);
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

/** Version printed by a Pulumi CLI (`v3.65.1` → `3.65.1`), or "" when it cannot be run. */
export async function cliVersion(cliPath: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const result = await runTool(cliPath, ["version"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeoutMs: 30_000 }).catch(
    () => null,
  );
  if (!result || result.code !== 0) return "";
  return result.output.trim().replace(/^v/, "");
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 300);
}
