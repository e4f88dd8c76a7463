/**
 * Overhead of the inline path: a no-change redeploy through `planAndDeploy` against the raw
 * `pulumi up --yes --skip-preview -s <stack>` of the same stack (the directory program through the language host),
 * measured in alternating pairs in one run. Prints each pair and the median ratio (inline / raw CLI).
 *
 *   npx tsx bench/overhead.ts [pairs]
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { planAndDeploy } from "../src/automation/deploy";
import { destroyStack } from "../src/automation/operations";
import { ensurePulumi } from "../src/automation/toolchain";
import { openWorkspace } from "../src/automation/workspace";

const pairs = Math.max(5, Number(process.argv[2] ?? 5));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function runPulumi(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi ${args.join(" ")} failed:\n${output}`))));
  });
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-"));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspace = await openWorkspace({ workspaceDir: path.join(root, "workspace"), env, pulumiHome: env.PULUMI_HOME, toolchain });
  const source = path.join(root, "static-site");
  await cp(path.resolve(__dirname, "..", "examples", "apps", "static-site"), source, { recursive: true });
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
  let stack = "";
  try {
    const coldStart = Date.now();
    const first = await planAndDeploy(request, { workspace, env });
    if (first.status !== "success") throw new Error(`first deploy failed: ${JSON.stringify(first)}`);
    stack = first.stack;
    console.log(`first deploy, request to serving URL: ${Date.now() - coldStart} ms (${first.url})`);

    const cliEnv = { ...env, ...workspace.envVars };
    const ratios: number[] = [];
    for (let i = 0; i < pairs; i += 1) {
      const inlineStart = process.hrtime.bigint();
      const again = await planAndDeploy(request, { workspace, env });
      const inlineMs = Number(process.hrtime.bigint() - inlineStart) / 1e6;
      if (again.status !== "success") throw new Error(`redeploy failed: ${JSON.stringify(again)}`);

      const rawStart = process.hrtime.bigint();
      await runPulumi(["up", "--yes", "--skip-preview", "--non-interactive", "-s", stack], workspace.dir, cliEnv);
      const rawMs = Number(process.hrtime.bigint() - rawStart) / 1e6;
      ratios.push(inlineMs / rawMs);
      console.log(`pair ${i + 1}: planAndDeploy ${inlineMs.toFixed(0)} ms, raw pulumi up ${rawMs.toFixed(0)} ms, ratio ${(inlineMs / rawMs).toFixed(2)}`);
    }
    console.log(`median ratio (planAndDeploy / raw pulumi up) over ${pairs} pairs: ${median(ratios).toFixed(2)}`);
  } finally {
    if (stack) await destroyStack(stack, { workspace, removeStack: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
