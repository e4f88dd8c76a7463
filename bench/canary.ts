/**
 * Canary rollouts on the local target, under a steady load of about 50 requests per second:
 * - a good release through 3 steps: the rollout's duration against its configured observation time (3 × the step
 *   interval); the difference is what the gates, probes and switching add;
 * - a bad release (it answers its first health probe, then 500 to everything): the detection latency from its
 *   first failed answer to the abort, against the step interval it would otherwise have been observed for.
 * Median of at least 5 rounds each, alternating.
 *
 *   npx tsx bench/canary.ts [rounds] [step-seconds]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { localRollout } from "../src/components/local/canary-watch";
import { planAndDeploy } from "../src/automation/release/deploy";
import { destroyStack } from "../src/automation/engine/operations";
import { ensurePulumi } from "../src/toolchain/pulumi";
import { openWorkspace, type PlannerWorkspace } from "../src/automation/index";

const rounds = Math.max(5, Number(process.argv[2] ?? 5));
const stepSeconds = Math.max(1, Number(process.argv[3] ?? 3));
const PROJECT = "bench-canary";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A request for a Node app answering `body`; with `failAfter`, 500 to everything after that many answers. */
async function request(root: string, version: string, body: string, failAfter: number | null) {
  const source = path.join(root, version);
  await mkdir(source, { recursive: true });
  const broken = failAfter === null ? "false" : `served > ${failAfter}`;
  await writeFile(
    path.join(source, "server.js"),
    `let served = 0;\nrequire("node:http").createServer((q, s) => { served += 1; if (${broken}) { s.statusCode = 500; s.end("broken"); } else s.end(${JSON.stringify(body)}); }).listen(Number(process.env.PORT), "127.0.0.1");\n`,
  );
  await writeFile(path.join(source, "package.json"), JSON.stringify({ name: version, scripts: { start: "node server.js" } }));
  return {
    project_id: PROJECT,
    deployment_type: "api",
    tech_stack: ["Node.js"],
    target: "local",
    environment: { ENV: "development" },
    source,
    version_name: version,
    rollout: { strategy: "canary", steps: [10, 50, 100], step_interval_seconds: stepSeconds, max_error_rate: 0.05, min_requests: 20 },
  };
}

/** About 50 requests per second against `url` until stopped. */
function load(url: string): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      await fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => r.arrayBuffer(), () => undefined);
      sent += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

async function deployUnderLoad(workspace: PlannerWorkspace, url: string, body: Awaited<ReturnType<typeof request>>) {
  const traffic = load(url);
  const result = await planAndDeploy(body, { workspace });
  await traffic.stop();
  const rollout = await localRollout(workspace.dir, `${PROJECT}.development`);
  if (!rollout) throw new Error("no rollout was reported");
  return { result, rollout };
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-canary-"));
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "bench-passphrase", PULUMI_HOME: path.join(root, "pulumi-home") };
  const toolchain = await ensurePulumi({ env });
  const workspace = await openWorkspace({ workspaceDir: path.join(root, "workspace"), env, pulumiHome: env.PULUMI_HOME, toolchain });
  const configuredMs = 3 * stepSeconds * 1000;
  const overheads: number[] = [];
  const durations: number[] = [];
  const detections: number[] = [];
  try {
    const first = await planAndDeploy(await request(root, "v0", "good v0", null), { workspace });
    if (first.status !== "success") throw new Error(`first deploy failed: ${JSON.stringify(first)}`);
    const url = first.url;
    for (let round = 1; round <= rounds; round += 1) {
      const good = await deployUnderLoad(workspace, url, await request(root, `good${round}`, `good ${round}`, null));
      if (good.result.status !== "success" || good.rollout.status !== "completed") throw new Error(`good rollout ${round} did not complete: ${JSON.stringify(good.result)}`);
      const duration = Date.parse(good.rollout.ended_at!) - Date.parse(good.rollout.started_at);
      durations.push(duration);
      overheads.push(duration - configuredMs);

      const bad = await deployUnderLoad(workspace, url, await request(root, `bad${round}`, `bad ${round}`, 1));
      if (bad.result.status !== "error" || bad.rollout.status !== "aborted" || !bad.rollout.first_canary_error_at) {
        throw new Error(`bad rollout ${round} was not aborted: ${JSON.stringify(bad.result)}`);
      }
      detections.push(Date.parse(bad.rollout.aborted_at!) - Date.parse(bad.rollout.first_canary_error_at));
      console.log(
        `round ${round}: good rollout ${duration} ms (configured ${configuredMs} ms, +${duration - configuredMs} ms); ` +
          `bad release aborted ${detections.at(-1)} ms after its first error, at step ${bad.rollout.step} (${bad.rollout.step_counts.canary.requests} requests, ${(bad.rollout.step_counts.canary.error_rate * 100).toFixed(0)}% errors)`,
      );
    }
    console.log(`\nmedian of ${rounds}, steps 10% → 50% → 100%, ${stepSeconds}s per step, min 20 requests, abort above 5% errors:`);
    console.log(`  good rollout: ${median(durations).toFixed(0)} ms for ${configuredMs} ms of configured steps: +${median(overheads).toFixed(0)} ms (ratio ${(median(durations) / configuredMs).toFixed(2)})`);
    console.log(`  detection: first canary error to abort ${median(detections).toFixed(0)} ms (ratio to one step's interval ${(median(detections) / (stepSeconds * 1000)).toFixed(2)})`);
  } finally {
    await destroyStack(`${PROJECT}.development`, { workspace, removeStack: true, force: true }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
