/**
 * Rollback speed on the local target, through the CLI as a user runs it: from the command's start to the old content
 * being served, and to the command's completion, against a plain redeploy of the same version (`deploy` of its request)
 * measured in the same run, alternating, and against a rollback on a stack that keeps no replaced release warm (what
 * every rollback cost before warm releases). Versions v1 and v2 of the static example are deployed first; each round
 * rolls back to v1 (or redeploys v1) from v2 and then moves to v2 again.
 *
 *   npx tsx bench/rollback.ts [rounds]
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { planAndDeploy, destroyStack, openWorkspace, type PlannerWorkspace } from "../src/automation/index";
import { ensurePulumi } from "../src/toolchain/pulumi";

const rounds = Math.max(5, Number(process.argv[2] ?? 5));
const packageRoot = path.resolve(__dirname, "..");
const BIN = path.join(packageRoot, "bin", "deployment-planner.cjs");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs the CLI while polling `url` every 10 ms; resolves when `marker` was first served and when the command ended. */
function measure(args: string[], env: NodeJS.ProcessEnv, url: string, marker: string): Promise<{ servedMs: number; doneMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let servedMs = Number.NaN;
    let polling = true;
    void (async () => {
      while (polling && Number.isNaN(servedMs)) {
        const body = await fetch(url).then((r) => r.text(), () => "");
        if (body.includes(marker)) servedMs = performance.now() - started;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", async (code) => {
      const doneMs = performance.now() - started;
      polling = false;
      if (code !== 0) return reject(new Error(`${args.join(" ")} failed:\n${stderr}`));
      if (Number.isNaN(servedMs)) {
        const body = await fetch(url).then((r) => r.text(), () => "");
        if (body.includes(marker)) servedMs = doneMs;
      }
      resolve({ servedMs, doneMs });
    });
  });
}

/** Deploys v1 then v2 of the static example as `projectId`; returns the URL and the request file of each version. */
async function deployTwoVersions(root: string, workspace: PlannerWorkspace, projectId: string): Promise<{ url: string; requests: Record<string, string> }> {
  const requests: Record<string, string> = {};
  let url = "";
  for (const version of ["v1", "v2"]) {
    const source = path.join(root, `${projectId}-site-${version}`);
    await cp(path.join(packageRoot, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), `<h1>release ${version}</h1>`);
    const request = { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: version };
    requests[version] = path.join(root, `${projectId}-request-${version}.json`);
    await writeFile(requests[version]!, JSON.stringify(request));
    const result = await planAndDeploy(request, { workspace });
    if (result.status !== "success") throw new Error(`deploy ${version} failed: ${JSON.stringify(result)}`);
    url = result.url;
  }
  return { url, requests };
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-rollback-"));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspaceDir = path.join(root, "workspace");
  const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain });
  // The baseline stack keeps no replaced release warm: a rollback there starts the old release anew.
  const coldWorkspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain, warmReleases: 0 });
  const cliEnv = { ...env, PULUMI_BACKEND_URL: workspace.backendUrl };
  const coldEnv = { ...cliEnv, DEPLOYMENT_PLANNER_WARM_RELEASES: "0" };
  const warm = await deployTwoVersions(root, workspace, "bench-rollback");
  const cold = await deployTwoVersions(root, coldWorkspace, "bench-rollback-cold");
  const common = ["--workspace", workspaceDir, "--json"];
  const rollback = { served: [] as number[], done: [] as number[] };
  const redeploy = { served: [] as number[], done: [] as number[] };
  const coldRollback = { served: [] as number[], done: [] as number[] };
  try {
    for (let round = 0; round < rounds; round += 1) {
      const back = await measure(["rollback", "bench-rollback", "development", "--to", "v1", ...common], cliEnv, warm.url, "release v1");
      rollback.served.push(back.servedMs);
      rollback.done.push(back.doneMs);
      await measure(["deploy", warm.requests.v2!, ...common], cliEnv, warm.url, "release v2");
      const plain = await measure(["deploy", warm.requests.v1!, ...common], cliEnv, warm.url, "release v1");
      redeploy.served.push(plain.servedMs);
      redeploy.done.push(plain.doneMs);
      await measure(["deploy", warm.requests.v2!, ...common], cliEnv, warm.url, "release v2");
      const slow = await measure(["rollback", "bench-rollback-cold", "development", "--to", "v1", ...common], coldEnv, cold.url, "release v1");
      coldRollback.served.push(slow.servedMs);
      coldRollback.done.push(slow.doneMs);
      await measure(["deploy", cold.requests.v2!, ...common], coldEnv, cold.url, "release v2");
      console.log(
        `round ${round + 1}: rollback served v1 after ${back.servedMs.toFixed(0)} ms, done ${back.doneMs.toFixed(0)} ms; ` +
          `redeploy served after ${plain.servedMs.toFixed(0)} ms, done ${plain.doneMs.toFixed(0)} ms; ` +
          `rollback with no warm release served after ${slow.servedMs.toFixed(0)} ms, done ${slow.doneMs.toFixed(0)} ms`,
      );
    }
    const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(2);
    console.log(`\nmedian of ${rounds}, from the command's start:`);
    console.log(`  rollback: old content served ${median(rollback.served).toFixed(0)} ms, command done ${median(rollback.done).toFixed(0)} ms`);
    console.log(`  redeploy of the same version: served ${median(redeploy.served).toFixed(0)} ms, done ${median(redeploy.done).toFixed(0)} ms`);
    console.log(`  rollback with no warm release (baseline): served ${median(coldRollback.served).toFixed(0)} ms, done ${median(coldRollback.done).toFixed(0)} ms`);
    console.log(`  ratio rollback / redeploy: served ${ratio(rollback.served, redeploy.served)}x, done ${ratio(rollback.done, redeploy.done)}x`);
    console.log(`  ratio rollback / rollback with no warm release: served ${ratio(rollback.served, coldRollback.served)}x, done ${ratio(rollback.done, coldRollback.done)}x`);
  } finally {
    await destroyStack("bench-rollback.development", { workspace, removeStack: true }).catch(() => undefined);
    await destroyStack("bench-rollback-cold.development", { workspace: coldWorkspace, removeStack: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
