/**
 * How `list` scales: a file backend holding many stacks (default 1,000), listed by the library in a warm process and
 * by a fresh `deployment-planner list --json` process as a user runs it, against the engine's own listing of the
 * same backend (`pulumi stack ls --json`) measured in the same run.
 *
 * One stack is deployed for real (the local static example); the others are copies of its stack file, checkpoint and
 * history under their own names, which is what `list` reads. The deployed stack is destroyed at the end.
 *
 *   npx tsx bench/list.ts [stacks] [runs]
 */
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { planAndDeploy, destroyStack, listStacks, openWorkspace, PROJECT_NAME } from "../src/automation/index";
import { ensurePulumi } from "../src/toolchain/pulumi";

const stackCount = Math.max(10, Number(process.argv[2] ?? 1000));
const runs = Math.max(5, Number(process.argv[3] ?? 5));
const packageRoot = path.resolve(__dirname, "..");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command to completion; resolves its wall time in milliseconds and its stdout. */
function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, stdout });
      else reject(new Error(`${command} ${args.join(" ")} failed:\n${stderr}`));
    });
  });
}

/** Copies every file of `from`'s stack under the name `to`, with the stack's name replaced inside. */
async function cloneStack(stateDir: string, stacksDir: string, from: string, to: string): Promise<void> {
  const rename = (text: string) => text.split(from).join(to);
  await writeFile(path.join(stacksDir, `Pulumi.${to}.yaml`), rename(await readFile(path.join(stacksDir, `Pulumi.${from}.yaml`), "utf8")));
  const stacks = path.join(stateDir, ".pulumi", "stacks", PROJECT_NAME);
  await writeFile(path.join(stacks, `${to}.json`), rename(await readFile(path.join(stacks, `${from}.json`), "utf8")));
  const historyFrom = path.join(stateDir, ".pulumi", "history", PROJECT_NAME, from);
  const historyTo = path.join(stateDir, ".pulumi", "history", PROJECT_NAME, to);
  await mkdir(historyTo, { recursive: true });
  for (const name of await readdir(historyFrom)) {
    await writeFile(path.join(historyTo, rename(name)), rename(await readFile(path.join(historyFrom, name), "utf8")));
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-list-"));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspaceDir = path.join(root, "workspace");
  const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain });
  const stateDir = new URL(workspace.backendUrl).pathname;
  const source = path.join(root, "static-site");
  await cp(path.join(packageRoot, "examples", "apps", "static-site"), source, { recursive: true });
  const request = { project_id: "bench-list", deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source };
  const deployed = await planAndDeploy(request, { workspace });
  if (deployed.status !== "success") throw new Error(`deploy failed: ${JSON.stringify(deployed)}`);
  const template = deployed.stack;
  try {
    for (let i = 1; i < stackCount; i += 1) await cloneStack(stateDir, workspace.stacksDir, template, `bench-list-${String(i).padStart(4, "0")}.development`);

    const cliEnv = { ...env, PULUMI_BACKEND_URL: workspace.backendUrl };
    const library: number[] = [];
    const cli: number[] = [];
    const engine: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = process.hrtime.bigint();
      const listed = await listStacks(workspace);
      library.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (listed.length !== stackCount) throw new Error(`listed ${listed.length} stacks, expected ${stackCount}`);
      const ours = await timed(process.execPath, [path.join(packageRoot, "bin", "deployment-planner.cjs"), "list", "--json", "--workspace", workspaceDir], root, cliEnv);
      if ((JSON.parse(ours.stdout) as { stacks: unknown[] }).stacks.length !== stackCount) throw new Error("the CLI listed the wrong number of stacks");
      cli.push(ours.ms);
      const raw = await timed(toolchain.cliPath, ["stack", "ls", "--json", "--non-interactive"], workspaceDir, { ...cliEnv, PULUMI_SKIP_UPDATE_CHECK: "true" });
      engine.push(raw.ms);
      console.log(`run ${run + 1}: library ${library.at(-1)!.toFixed(0)} ms, CLI ${ours.ms.toFixed(0)} ms, pulumi stack ls ${raw.ms.toFixed(0)} ms`);
    }
    const [lib, ours, raw] = [median(library), median(cli), median(engine)];
    console.log(`\n${stackCount} stacks, median of ${runs}:`);
    console.log(`  library listStacks        ${lib.toFixed(0)} ms  (${(lib / stackCount).toFixed(2)} ms per stack)  ratio to pulumi stack ls ${(lib / raw).toFixed(2)}x`);
    console.log(`  CLI list --json (process) ${ours.toFixed(0)} ms  ratio to pulumi stack ls ${(ours / raw).toFixed(2)}x`);
    console.log(`  pulumi stack ls --json    ${raw.toFixed(0)} ms  (baseline: names and update times only)`);
  } finally {
    await destroyStack(template, { workspace, removeStack: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
