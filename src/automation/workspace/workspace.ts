import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import { PACKAGE_ROOT_ENV } from "../../components/dynamic-provider";
import { WARM_RELEASES_ENV, WORKSPACE_DIR_ENV } from "../../components/local/supervisor-client";
import { PROJECT_NAME } from "./project-name";
import type { StateBackend } from "./state-backend";
import { PACKAGE_ROOT, SDK_NODE_MODULES, ensurePulumi, type PulumiToolchain } from "../../toolchain/pulumi";

/** The Pulumi project every stack belongs to. */
export { PROJECT_NAME };

/** Where the secrets provider's passphrase comes from. */
export type PassphraseSource = "PULUMI_CONFIG_PASSPHRASE" | "PULUMI_CONFIG_PASSPHRASE_FILE" | "generated_key_file";

/** Options that pick a workspace, its state backend and its environment. */
export interface WorkspaceOptions {
  /** Directory holding `Pulumi.yaml` and `stacks/`; default the current directory. */
  readonly workspaceDir?: string;
  /**
   * Any backend URL Pulumi accepts; default `PULUMI_BACKEND_URL`, else the state of the workspace's deployment service
   * when one ran there (see `serviceStateBackend` in the backend layer), else `file://<workspace>/.pulumi-state`.
   */
  readonly backendUrl?: string;
  /**
   * The artifact store: where packaged bundles are kept (a directory, relative to the workspace or absolute); default
   * `DEPLOYMENT_PLANNER_ARTIFACT_STORE`, else `<workspace>/.deployment-planner/bundles`. Specs reference bundles by
   * digest and by a path relative to the workspace.
   */
  readonly artifactStore?: string;
  /**
   * How many replaced releases a local-target stack keeps running so a rollback to them is instant (0 to 10); default
   * `DEPLOYMENT_PLANNER_WARM_RELEASES`, else 2. Read when a stack's supervisor starts.
   */
  readonly warmReleases?: number;
  /** Environment to read settings from and pass on; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** `PULUMI_HOME` for the engine (plugins, credentials); default Pulumi's own (`~/.pulumi`). */
  readonly pulumiHome?: string;
  /** A toolchain found earlier; found or built when absent. */
  readonly toolchain?: PulumiToolchain;
  /** Progress while the toolchain is built and warnings (such as a generated key file). */
  readonly onProgress?: (line: string) => void;
}

/** A ready workspace: where files live and the environment every engine run gets. */
export interface PlannerWorkspace {
  readonly dir: string;
  readonly stacksDir: string;
  /** Product state that is not Pulumi state: bundles, logs, the audit log, local-target processes. */
  readonly dataDir: string;
  /** The artifact store's directory (see `WorkspaceOptions.artifactStore`). */
  readonly bundlesDir: string;
  readonly backendUrl: string;
  /** The backend at `backendUrl`, chosen once here: every read of its state and the stack lock go through it. */
  readonly stateBackend: StateBackend;
  readonly pulumiHome?: string;
  readonly passphraseSource: PassphraseSource;
  /** Path of the key file, when the passphrase comes from one. */
  readonly passphraseFile?: string;
  readonly toolchain: PulumiToolchain;
  /** Environment for the Pulumi CLI, the language host and dynamic providers. */
  readonly envVars: Record<string, string>;
  /**
   * Where engine runs' dynamic providers run: `in-process` (default; the deploying process answers them) or `process`
   * (the engine starts a provider process per run, as plain Pulumi does). From `DEPLOYMENT_PLANNER_PROVIDER_HOST`.
   */
  readonly providerHost: ProviderHostMode;
}

/** See `PlannerWorkspace.providerHost`. */
export type ProviderHostMode = "in-process" | "process";

/** Environment variable choosing `PlannerWorkspace.providerHost`. */
export const PROVIDER_HOST_ENV = "DEPLOYMENT_PLANNER_PROVIDER_HOST";

/** The product's data directory of a workspace (bundles, logs, the audit trail): `<workspace>/.deployment-planner`. */
export function workspaceDataDir(workspaceDir: string): string {
  return path.join(path.resolve(workspaceDir), ".deployment-planner");
}

/** Path of the generated passphrase key file, outside any repository. */
export function generatedKeyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), ".config");
  return path.join(base, "deployment-planner", "passphrase");
}

/**
 * How a workspace finds and opens its state backend. The backend layer supplies it (`openWorkspace` in
 * `backend/open-workspace.ts`), so this layer names the backend's contract without importing its implementations.
 */
export interface BackendOpener {
  /** The backend URL a deployment service that ran in the workspace recorded, or null. */
  readonly recordedBackendUrl: (dataDir: string, env: NodeJS.ProcessEnv) => Promise<string | null>;
  /** The backend at `backendUrl`, opened once for the workspace. */
  readonly open: (backendUrl: string, dataDir: string, env: NodeJS.ProcessEnv) => StateBackend;
}

/**
 * Prepares a workspace: the project file, the stacks directory, the default file backend, the secrets provider and
 * an offline-safe environment for the engine (no update check, no automatic plugin download).
 */
export async function assembleWorkspace(options: WorkspaceOptions, backends: BackendOpener): Promise<PlannerWorkspace> {
  const env = options.env ?? process.env;
  const dir = path.resolve(options.workspaceDir ?? process.cwd());
  const stacksDir = path.join(dir, "stacks");
  const dataDir = workspaceDataDir(dir);
  await mkdir(stacksDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await keepOutOfGit(dataDir);
  await ensureProjectFile(dir);

  // A workspace whose deployment service ran keeps one state: the service's, wherever it lives.
  const backendUrl =
    options.backendUrl ?? env.PULUMI_BACKEND_URL ?? (await backends.recordedBackendUrl(dataDir, env)) ?? pathToFileURL(path.join(dir, ".pulumi-state")).href;
  if (backendUrl.startsWith("file://")) {
    await mkdir(new URL(backendUrl).pathname, { recursive: true });
  }

  const toolchain = options.toolchain ?? (await ensurePulumi({ env, onProgress: options.onProgress }));
  const passphrase = await passphraseSettings(env, options.onProgress);

  const envVars: Record<string, string> = {
    PATH: [toolchain.binDir, path.dirname(process.execPath), env.PATH ?? ""].filter(Boolean).join(path.delimiter),
    PULUMI_BACKEND_URL: backendUrl,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    // The dynamic-provider shim and the language host resolve @pulumi/pulumi (the one this package runs with) from
    // here, wherever the workspace is.
    NODE_PATH: [SDK_NODE_MODULES, env.NODE_PATH ?? ""].filter(Boolean).join(path.delimiter),
    // Our dynamic providers load their implementation from the running install of this package by name; the state
    // records only the name, so another install of the same version manages the same stacks.
    [PACKAGE_ROOT_ENV]: PACKAGE_ROOT,
    [WORKSPACE_DIR_ENV]: dir,
    ...passphrase.vars,
  };
  if (options.pulumiHome) envVars.PULUMI_HOME = options.pulumiHome;
  const warmReleases = options.warmReleases ?? env[WARM_RELEASES_ENV];
  if (warmReleases !== undefined && warmReleases !== "") envVars[WARM_RELEASES_ENV] = String(warmReleases);

  return {
    dir,
    stacksDir,
    dataDir,
    bundlesDir: path.resolve(dir, options.artifactStore ?? env.DEPLOYMENT_PLANNER_ARTIFACT_STORE ?? path.join(dataDir, "bundles")),
    backendUrl,
    stateBackend: backends.open(backendUrl, dataDir, env),
    pulumiHome: options.pulumiHome,
    passphraseSource: passphrase.source,
    passphraseFile: passphrase.file,
    toolchain,
    envVars,
    providerHost: env[PROVIDER_HOST_ENV]?.trim() === "process" ? "process" : "in-process",
  };
}

/**
 * The data directory holds this machine's working files (bundles, logs, local-target processes, the audit trail), not
 * desired state: a `.gitignore` inside it keeps a workspace that is a git repository committing only its stack files.
 */
async function keepOutOfGit(dataDir: string): Promise<void> {
  await writeFile(path.join(dataDir, ".gitignore"), "# Deployment Planner's working files on this machine; stack files under stacks/ are the desired state.\n*\n", {
    flag: "wx",
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
}

/** Path of the directory program's entry in this install, relative to a workspace. */
function programEntry(dir: string): string {
  return path.relative(dir, path.join(PACKAGE_ROOT, "dist", "stacks", "entry.js"));
}

/**
 * Writes the workspace's `Pulumi.yaml` when absent, with this install's program as its entry, so `pulumi preview` in
 * the workspace runs the same program. A project file whose entry no longer exists (the package was moved or
 * reinstalled elsewhere) gets its entry pointed at this install; any other content is kept.
 */
async function ensureProjectFile(dir: string): Promise<void> {
  const file = path.join(dir, "Pulumi.yaml");
  const existing = await readFile(file, "utf8").catch(() => null);
  if (existing !== null) {
    const document = YAML.parseDocument(existing);
    const main = document.get("main");
    if (document.get("name") !== PROJECT_NAME || typeof main !== "string") return;
    if (await stat(path.resolve(dir, main)).then(() => true, () => false)) return;
    document.set("main", programEntry(dir));
    await writeFile(file, document.toString());
    return;
  }
  const text = [
    `name: ${PROJECT_NAME}`,
    "description: Stacks managed by deployment-planner; each stack's spec is in stacks/Pulumi.<stack>.yaml.",
    "runtime:",
    "  name: nodejs",
    "  options:",
    "    typescript: false",
    `main: ${programEntry(dir)}`,
    "stackConfigDir: stacks",
    "",
  ].join("\n");
  await writeFile(file, text, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
}

async function passphraseSettings(
  env: NodeJS.ProcessEnv,
  onProgress?: (line: string) => void,
): Promise<{ source: PassphraseSource; file?: string; vars: Record<string, string> }> {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined && env.PULUMI_CONFIG_PASSPHRASE !== "") {
    return { source: "PULUMI_CONFIG_PASSPHRASE", vars: { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE } };
  }
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    return {
      source: "PULUMI_CONFIG_PASSPHRASE_FILE",
      file: env.PULUMI_CONFIG_PASSPHRASE_FILE,
      vars: { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE },
    };
  }
  const file = generatedKeyFilePath(env);
  try {
    const content = await readFile(file, "utf8");
    if (content.trim() === "") throw new Error("empty key file");
  } catch {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      },
    );
    await chmod(file, 0o600);
    onProgress?.(
      `warning: generated the stack secrets key file ${file}; keep it (or set PULUMI_CONFIG_PASSPHRASE): without it the stacks' secrets cannot be decrypted`,
    );
  }
  return { source: "generated_key_file", file, vars: { PULUMI_CONFIG_PASSPHRASE_FILE: file } };
}
