/**
 * A bench's own workspace holding the local static example: a temp directory with its Pulumi home, the cached
 * toolchain, an opened workspace, a copy of the example's files and a request for them; and the raw
 * `pulumi up --yes --skip-preview -s <stack>` baseline of the same stack.
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { destroyStack, openWorkspace } from "../../src/automation/index";
import { ensurePulumi, type PulumiToolchain } from "../../src/toolchain/pulumi";
import { CLI_BIN, PACKAGE_ROOT, runCommand, type Measured } from "./processes";

/** The passphrase of every bench stack's secrets (a throwaway value for throwaway stacks). */
export const BENCH_PASSPHRASE = "bench-passphrase";

/** The deployment request a bench deploys: the local static example. */
export interface StaticSiteRequest {
  readonly user_id: string;
  readonly project_id: string;
  readonly deployment_type: "static_site";
  readonly tech_stack: string[];
  readonly target: "local";
  readonly environment: Record<string, string>;
  readonly source: string;
  readonly deployer_id: string;
  readonly version_name: string;
}

/** What `openBenchWorkspace` made. */
export interface BenchWorkspace {
  /** The temp directory holding everything below; removed by `close`. */
  readonly root: string;
  /** The environment for our commands: a passphrase and the run's own Pulumi home. */
  readonly env: NodeJS.ProcessEnv;
  readonly toolchain: PulumiToolchain;
  readonly workspaceDir: string;
  readonly workspace: Awaited<ReturnType<typeof openWorkspace>>;
  /** The copy of the static example the request deploys. */
  readonly source: string;
  readonly request: StaticSiteRequest;
  /** The request as a JSON file, for `deployment-planner deploy`. */
  readonly requestFile: string;
  /** Stacks to destroy (and remove) on `close`. */
  readonly stacks: Set<string>;
  /** Destroys the stacks, then removes the temp directory. */
  close(): Promise<void>;
}

/** Opens a fresh workspace under a temp directory named `dp-bench-<prefix>-`, with a request for project `projectId`. */
export async function openBenchWorkspace(prefix: string, projectId: string): Promise<BenchWorkspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), `dp-bench-${prefix}-`));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: BENCH_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspaceDir = path.join(root, "workspace");
  const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain });
  const source = path.join(root, "static-site");
  await cp(path.join(PACKAGE_ROOT, "examples", "apps", "static-site"), source, { recursive: true });
  const request: StaticSiteRequest = {
    user_id: "bench",
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source,
    deployer_id: "bench",
    version_name: "v1",
  };
  const requestFile = path.join(root, "request.json");
  await writeFile(requestFile, JSON.stringify(request));
  const stacks = new Set<string>();
  const close = async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace, removeStack: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  return { root, env, toolchain, workspaceDir, workspace, source, request, requestFile, stacks, close };
}

/**
 * The baseline: a raw `pulumi up --yes --skip-preview -s <stack>` of the same stack (the directory program through the
 * language host), with exactly the environment our engine runs get (toolchain on PATH, SDK, backend, passphrase).
 */
export function rawPulumiUp(bench: BenchWorkspace, stack: string, cpu = false): Promise<Measured> {
  return runCommand(bench.toolchain.cliPath, ["up", "--yes", "--skip-preview", "--non-interactive", "-s", stack], {
    cwd: bench.workspaceDir,
    env: { ...bench.env, ...bench.workspace.envVars },
    cpu,
  });
}

/** `deployment-planner deploy <request> --workspace <dir>` as a fresh process, with `extra` flags. */
export function deployWithCli(bench: BenchWorkspace, extra: readonly string[], cpu = false): Promise<Measured> {
  return runCommand(process.execPath, [CLI_BIN, "deploy", bench.requestFile, "--workspace", bench.workspaceDir, ...extra], {
    cwd: bench.root,
    env: bench.env,
    cpu,
  });
}
