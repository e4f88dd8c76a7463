/**
 * Overhead of deploying through Deployment Planner against the raw Pulumi CLI, on a no-change redeploy of the local
 * static example, in alternating pairs within one run:
 *
 * - library: `planAndDeploy` in a warm process against `pulumi up --yes --skip-preview -s <stack>` (the directory
 *   program through the language host);
 * - CLI: a fresh `deployment-planner deploy <request>` process, as a user runs it, against the same raw command.
 *
 * Prints each pair, the medians in milliseconds and the median ratios (ours / raw).
 *
 *   npx tsx bench/overhead.ts [pairs]
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { planAndDeploy, destroyStack, openWorkspace } from "../src/automation/index";
import { ensurePulumi } from "../src/toolchain/pulumi";

const pairs = Math.max(5, Number(process.argv[2] ?? 5));
const packageRoot = path.resolve(__dirname, "..");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command to completion and returns its wall time in milliseconds; rejects on a non-zero exit. */
function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(" ")} failed:\n${output}`));
    });
  });
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-"));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspaceDir = path.join(root, "workspace");
  const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain });
  const source = path.join(root, "static-site");
  await cp(path.join(packageRoot, "examples", "apps", "static-site"), source, { recursive: true });
  const request = {
    user_id: "bench",
    project_id: "bench-overhead",
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
  let stack = "";
  try {
    const coldStart = Date.now();
    const first = await planAndDeploy(request, { workspace, env });
    if (first.status !== "success") throw new Error(`first deploy failed: ${JSON.stringify(first)}`);
    stack = first.stack;
    console.log(`pulumi v${toolchain.version}; first deploy, request to serving URL: ${Date.now() - coldStart} ms (${first.url})`);

    // The raw CLI gets exactly the environment our engine runs get (toolchain on PATH, SDK, backend, passphrase).
    const rawEnv = { ...env, ...workspace.envVars };
    const raw = () => timed(toolchain.cliPath, ["up", "--yes", "--skip-preview", "--non-interactive", "-s", stack], workspaceDir, rawEnv);
    const cli = () =>
      timed(process.execPath, [path.join(packageRoot, "bin", "deployment-planner.cjs"), "deploy", requestFile, "--workspace", workspaceDir], root, env);
    // One unmeasured run of each warms the file cache and the CLI's compiled-code cache.
    await raw();
    await cli();

    const library = { ours: [] as number[], raw: [] as number[], ratios: [] as number[] };
    for (let i = 0; i < pairs; i += 1) {
      const started = process.hrtime.bigint();
      const again = await planAndDeploy(request, { workspace, env });
      const oursMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (again.status !== "success") throw new Error(`redeploy failed: ${JSON.stringify(again)}`);
      const rawMs = await raw();
      library.ours.push(oursMs);
      library.raw.push(rawMs);
      library.ratios.push(oursMs / rawMs);
      console.log(`library pair ${i + 1}: planAndDeploy ${oursMs.toFixed(0)} ms, raw pulumi up ${rawMs.toFixed(0)} ms, ratio ${(oursMs / rawMs).toFixed(2)}`);
    }
    const whole = { ours: [] as number[], raw: [] as number[], ratios: [] as number[] };
    for (let i = 0; i < pairs; i += 1) {
      // Alternate which goes first, so neither always runs on a machine the other just warmed.
      let cliMs: number;
      let rawMs: number;
      if (i % 2 === 0) {
        cliMs = await cli();
        rawMs = await raw();
      } else {
        rawMs = await raw();
        cliMs = await cli();
      }
      whole.ours.push(cliMs);
      whole.raw.push(rawMs);
      whole.ratios.push(cliMs / rawMs);
      console.log(`CLI pair ${i + 1}: deployment-planner deploy ${cliMs.toFixed(0)} ms, raw pulumi up ${rawMs.toFixed(0)} ms, ratio ${(cliMs / rawMs).toFixed(2)}`);
    }
    const report = (label: string, runs: typeof library) =>
      console.log(
        `${label}: median ${median(runs.ours).toFixed(0)} ms against raw pulumi up ${median(runs.raw).toFixed(0)} ms; median ratio ${median(runs.ratios).toFixed(2)} over ${pairs} pairs`,
      );
    report("library (planAndDeploy, warm process)", library);
    report("CLI (fresh deployment-planner process)", whole);
  } finally {
    if (stack) await destroyStack(stack, { workspace, removeStack: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
