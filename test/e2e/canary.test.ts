import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit } from "../../src/automation/records/audit";
import { localRollout } from "../../src/components/local/canary-watch";
import { planAndDeploy } from "../../src/automation/release/deploy";
import { stackHistory } from "../../src/automation/engine/history";
import { destroyStack } from "../../src/automation/engine/operations";
import { currentStackSpec } from "../../src/automation/engine/stack-queries";
import { stackStatus } from "../../src/automation/engine/stack-status";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { releaseAccounting } from "../support/processes";

const BIN = path.join(__dirname, "..", "..", "bin", "deployment-planner.cjs");

/** Steps short enough for a test; the gates as a user would set them. */
const ROLLOUT = { strategy: "canary", steps: [10, 50, 100], step_interval_seconds: 4, max_error_rate: 0.05, min_requests: 20 };

/** One answer the poller saw: when, and what. */
interface Sample {
  readonly at: number;
  readonly status: number;
  readonly body: string;
}

/** Polls `url` every `intervalMs` until stopped, keeping every answer (a failed connection is status 0). */
function recordingPoller(url: string, intervalMs = 20) {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        samples.push({ at, status: response.status, body: (await response.text()).trim() });
      } catch {
        samples.push({ at, status: 0, body: "" });
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop(): Promise<Sample[]> {
      running = false;
      await loop;
      return samples;
    },
  };
}

describe("canary rollouts on the local target", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-canary-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A Node app answering `body`; with `failAfter`, it answers that many requests and then HTTP 500 to everything. */
  async function app(projectId: string, version: string, body: string, failAfter: number | null = null) {
    const source = path.join(t.root, `${projectId}-${version}`);
    await mkdir(source, { recursive: true });
    const broken = failAfter === null ? "false" : `served > ${failAfter}`;
    await writeFile(
      path.join(source, "server.js"),
      `let served = 0;\nrequire("node:http").createServer((q, s) => { served += 1; if (${broken}) { s.statusCode = 500; s.end("broken"); } else s.end(${JSON.stringify(body)}); }).listen(Number(process.env.PORT), "127.0.0.1");\n`,
    );
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: version, scripts: { start: "node server.js" } }));
    return { project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source, version_name: version, rollout: ROLLOUT };
  }

  it("moves a good release to all traffic in the configured steps, with no failed request and both versions served meanwhile", async () => {
    const projectId = uniqueId("canary");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const first = await planAndDeploy(await app(projectId, "v1", "stable"), { workspace: t.workspace });
    expect(first, JSON.stringify(first)).toMatchObject({ status: "success", version: 1 });
    const url = (first as { url: string }).url;

    const steps: { step: number; at: number }[] = [];
    const progress: string[] = [];
    const poller = recordingPoller(url);
    const second = await planAndDeploy(await app(projectId, "v2", "canary"), {
      workspace: t.workspace,
      onProgress: (line) => {
        progress.push(line);
        const step = /^canary step (\d)\/3/.exec(line);
        if (step && !steps.some((s) => s.step === Number(step[1]))) steps.push({ step: Number(step[1]), at: Date.now() });
      },
    });
    const samples = await poller.stop();
    expect(second, JSON.stringify(second)).toMatchObject({ status: "success", version: 2 });

    // Nothing failed, and the URL ends on the new release.
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    expect(await (await fetch(url)).text()).toBe("canary");
    expect(progress.some((line) => /^canary step 1\/3: 10% of traffic; new release \d+ requests, error rate 0\.0%/.test(line))).toBe(true);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);

    // Within each step (edges trimmed by the progress poll's second), the new release served about its weight.
    const share = (from: number, to: number) => {
      const inside = samples.filter((s) => s.at >= from + 1000 && s.at < to - 1000);
      return { n: inside.length, canary: inside.filter((s) => s.body === "canary").length / Math.max(1, inside.length) };
    };
    const ten = share(steps[0]!.at, steps[1]!.at);
    const fifty = share(steps[1]!.at, steps[2]!.at);
    expect(ten.n).toBeGreaterThan(20);
    expect(ten.canary).toBeGreaterThan(0.01);
    expect(ten.canary).toBeLessThan(0.3);
    expect(fifty.canary).toBeGreaterThan(0.3);
    expect(fifty.canary).toBeLessThan(0.7);

    // The state records the new release; the rollout reports completed.
    expect((await localRollout(t.workspace.dir, stack))?.status).toBe("completed");
    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history[0]).toMatchObject({ version: 2, result: "succeeded", versionName: "v2" });
  });

  it("aborts a release that fails at its first step: the stable one keeps serving, and history and audit say why", async () => {
    const projectId = uniqueId("canary-bad");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const first = await planAndDeploy(await app(projectId, "v1", "stable"), { workspace: t.workspace });
    expect(first).toMatchObject({ status: "success", version: 1 });
    const url = (first as { url: string }).url;

    const poller = recordingPoller(url);
    // It passes the first health probe, then answers 500 to everything.
    const bad = await planAndDeploy(await app(projectId, "v2", "bad", 1), { workspace: t.workspace });
    const samples = await poller.stop();
    expect(bad, JSON.stringify(bad)).toMatchObject({ status: "error", stage: "verify", rolled_back_to: 1, reason: expect.stringContaining("canary aborted") });
    const canary = (bad as { canary?: { step: number; weight_percent: number; error_rate: number; errors: number } }).canary;
    expect(canary).toMatchObject({ step: 1, weight_percent: 10 });
    expect(canary!.error_rate).toBeGreaterThan(0.05);
    // Aborted once its errors alone put it over 5% of the 20 requests a step needs.
    expect(canary!.errors).toBeGreaterThan(0.05 * 20);

    // The callers saw errors only from the canary's 10% share, and the URL serves the stable release again.
    const failed = samples.filter((s) => s.status !== 200).length / samples.length;
    expect(failed).toBeLessThanOrEqual(0.1 + 0.08);
    expect(samples.filter((s) => s.status === 0)).toEqual([]);
    expect(await (await fetch(url)).text()).toBe("stable");

    // The state still records the stable release; the aborted update is a failed entry, and the audit trail says why.
    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history[0]).toMatchObject({ version: 2, result: "failed" });
    expect(history[1]).toMatchObject({ version: 1, result: "succeeded", versionName: "v1" });
    expect((await currentStackSpec(t.workspace, stack))?.version_name).toBe("v1");
    const audit = (await readAudit(t.workspace.dataDir)).filter((e) => e.stack === stack && e.action === "deploy" && e.status === "error");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ stage: "verify", reason: expect.stringContaining("canary aborted: error rate") });
    expect((await localRollout(t.workspace.dir, stack))?.status).toBe("aborted");
  });

  /** Runs the CLI in a process group of its own; `whenRollingOut` runs once the stack's rollout is in progress. */
  function cli(args: string[]): { pid: number; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir], { env: t.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    return {
      pid: child.pid!,
      done: new Promise((resolve) =>
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        }),
      ),
    };
  }

  async function rollingOut(stack: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await localRollout(t.workspace.dir, stack))?.status === "running") return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no rollout of ${stack} started within ${timeoutMs} ms`);
  }

  it("shows a rollout in status and list while it runs, and a rollback then aborts it back to the stable release", async () => {
    const projectId = uniqueId("canary-rb");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    expect(await planAndDeploy(await app(projectId, "v1", "stable"), { workspace: t.workspace })).toMatchObject({ status: "success" });
    const slow = { ...(await app(projectId, "v2", "canary")), rollout: { ...ROLLOUT, step_interval_seconds: 120 } };
    const requestFile = path.join(t.root, `${projectId}-v2.json`);
    await writeFile(requestFile, JSON.stringify(slow));
    const deploy = cli(["deploy", requestFile, "--json"]);
    await rollingOut(stack);

    // Either release of the rollout may answer a status check (the new one takes 10% of requests): both are the stack's.
    for (let check = 0; check < 30; check += 1) {
      const live = (await stackStatus(t.workspace, stack))?.live;
      expect(live?.state, live?.detail).toBe("serving");
    }
    const status = await cli(["status", projectId, "development", "--json"]).done;
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ stack, last_rollout: { status: "running", step: 1, weight: 10, steps: [10, 50, 100] } });
    const text = await cli(["status", projectId, "development"]).done;
    expect(text.stdout).toMatch(/rollout running: step 1\/3 \(10% → 50% → 100%\), new release 10% \/ stable 90% of traffic/);
    expect(text.stdout).toMatch(/about \d+s left if every step passes/);
    const listed = await cli(["list", "--project", projectId, "--json"]).done;
    expect(JSON.parse(listed.stdout).stacks[0]).toMatchObject({ stack, locked: true, rollout: { status: "running", weight: 10 } });

    const back = await cli(["rollback", projectId, "development", "--json"]).done;
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ status: "success", rolled_back_from: 2, rolled_back_to: 1, version: 3 });
    const deployed = await deploy.done;
    expect(deployed.code).not.toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ status: "error", stage: "verify", reason: expect.stringContaining("aborted by a rollback") });
    expect(await (await fetch(JSON.parse(back.stdout).url)).text()).toBe("stable");
    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history.slice(0, 3).map((e) => [e.version, e.result])).toEqual([
      [3, "succeeded"],
      [2, "failed"],
      [1, "succeeded"],
    ]);
    expect(history[0]!.message).toContain(`rollback ${stack} from 2 to 1`);
  });

  it("keeps serving with the last weights when the deploying process is killed mid-rollout, and the next deploy aborts it and starts over", async () => {
    const projectId = uniqueId("canary-kill");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const first = await planAndDeploy(await app(projectId, "v1", "stable"), { workspace: t.workspace });
    expect(first).toMatchObject({ status: "success" });
    const url = (first as { url: string }).url;
    const requestFile = path.join(t.root, `${projectId}-v2.json`);
    await writeFile(requestFile, JSON.stringify({ ...(await app(projectId, "v2", "canary")), rollout: { ...ROLLOUT, steps: [50, 100], step_interval_seconds: 3 } }));
    const killed = cli(["deploy", requestFile, "--json"]);
    await rollingOut(stack);
    process.kill(-killed.pid, "SIGKILL");
    await killed.done;

    // The supervisor holds the weights: both versions still answer, nothing fails.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await localRollout(t.workspace.dir, stack))?.status).toBe("held");
    const bodies = new Set<string>();
    for (let i = 0; i < 60; i += 1) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      bodies.add(await response.text());
    }
    expect([...bodies].sort()).toEqual(["canary", "stable"]);

    // The next plain deploy aborts the held rollout and runs its own to the end.
    const again = await cli(["deploy", requestFile, "--json"]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "success" });
    expect(await (await fetch(url)).text()).toBe("canary");
    expect((await localRollout(t.workspace.dir, stack))?.status).toBe("completed");
    const releases = await releaseAccounting(t.root, t.workspace.dir, stack, /^node server\.js$/);
    expect(releases.unaccounted).toEqual([]);
    expect(releases.serving).toBe(1);
  });
});
