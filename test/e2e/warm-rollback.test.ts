import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localStateDir } from "../../src/components/local/release-settings";
import { supervisorStatus, type SupervisorStatus } from "../../src/components/local/supervisor-client";
import { planAndDeploy, stackHistory, destroyStack, rollback } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { startPoller } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");

/** The local target's instant rollback: replaced releases stay warm, and a rollback switches to one before the engine runs. */
describe("instant rollback on the local target", () => {
  let t: TestWorkspace;
  const secretValue = `warm-${Math.random().toString(36).slice(2)}-secret`;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-warm-", { WARM_TEST_TOKEN: secretValue });
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A request for the Node example greeting with `greeting`, with one secret from the environment. */
  async function nodeRequest(projectId: string, version: string, greeting: string, extra: Record<string, unknown> = {}) {
    const source = path.join(t.root, `${projectId}-${version}`);
    await cp(path.join(REPO, "examples", "apps", "node-server"), source, { recursive: true });
    await writeFile(path.join(source, "VERSION"), version);
    return {
      project_id: projectId,
      deployment_type: "api",
      tech_stack: ["Node.js"],
      target: "local",
      environment: { ENV: "development" },
      source,
      env: { GREETING: greeting },
      secrets: { API_TOKEN: "env:WARM_TEST_TOKEN" },
      version_name: version,
      ...extra,
    };
  }

  async function deploy(request: Record<string, unknown>, env: NodeJS.ProcessEnv = t.env) {
    const result = await planAndDeploy(request, { workspace: t.workspace, env });
    expect(result, JSON.stringify(result)).toMatchObject({ status: "success" });
    return result as { url: string; stack: string; version: number };
  }

  async function status(stack: string): Promise<SupervisorStatus> {
    const answer = await supervisorStatus(localStateDir(stack), t.workspace.dir);
    expect(answer).not.toBeNull();
    return answer!;
  }

  const activeRelease = (s: SupervisorStatus) => s.releases.find((r) => r.id === s.active)!;

  it("serves the earlier version from its still-running process before the engine update starts, then records that process", async () => {
    const projectId = uniqueId("warm");
    const v1 = await deploy(await nodeRequest(projectId, "v1", "hello from v1"));
    stacks.push(v1.stack);
    const v1Pid = activeRelease(await status(v1.stack)).pid;
    const v2 = await deploy(await nodeRequest(projectId, "v2", "hello from v2"));
    expect(await (await fetch(v2.url)).text()).toContain("hello from v2");

    // v1's process was replaced but keeps running, warm, outside the traffic.
    const afterV2 = await status(v2.stack);
    expect(activeRelease(afterV2).pid).not.toBe(v1Pid);
    expect(afterV2.releases.find((r) => r.pid === v1Pid)).toMatchObject({ alive: true, warm: true });

    // When the engine stage starts, the URL already serves v1 again.
    const servedWhenEngineStarted: string[] = [];
    const pending: Promise<void>[] = [];
    const poller = startPoller(v2.url);
    const result = await rollback(projectId, "development", {
      workspace: t.workspace,
      env: t.env,
      onProgress: (line) => {
        if (line.startsWith("deploying ")) pending.push(fetch(v2.url).then(async (r) => void servedWhenEngineStarted.push(await r.text())));
      },
    });
    await Promise.all(pending);
    const polled = await poller.stop();
    expect(result, JSON.stringify(result)).toMatchObject({ status: "success", rolled_back_from: 2, rolled_back_to: 1, version: 3 });
    expect(servedWhenEngineStarted).toHaveLength(1);
    expect(servedWhenEngineStarted[0]).toContain("hello from v1");
    expect(polled.failed, polled.failures.join(", ")).toBe(0);

    // The update recorded the very process that served v1 before, and v2's stays warm in turn.
    const afterRollback = await status(v2.stack);
    expect(activeRelease(afterRollback).pid).toBe(v1Pid);
    expect(afterRollback.releases.filter((r) => r.alive && !r.warm)).toHaveLength(1);
    expect(afterRollback.releases.filter((r) => r.warm)).toHaveLength(1);
    const history = await stackHistory(v2.stack, { workspace: t.workspace });
    expect(history[0]).toMatchObject({ result: "succeeded", versionName: "v1", message: expect.stringContaining("rollback") });
    expect(await (await fetch(v2.url)).text()).toContain(`api_token_length=${secretValue.length}`);
  });

  it("starts a fresh release when the secret value changed since the warm one started, and keeps at most two warm", async () => {
    const projectId = uniqueId("rotate");
    const v1 = await deploy(await nodeRequest(projectId, "v1", "hello from v1"));
    stacks.push(v1.stack);
    const v1Pid = activeRelease(await status(v1.stack)).pid;
    await deploy(await nodeRequest(projectId, "v2", "hello from v2"));

    // The secret rotated: the warm v1 process holds the old value, so it must not take the traffic.
    const rotated = `${secretValue}-rotated`;
    const result = await rollback(projectId, "development", { workspace: t.workspace, env: { ...t.env, WARM_TEST_TOKEN: rotated } });
    expect(result, JSON.stringify(result)).toMatchObject({ status: "success", rolled_back_to: 1 });
    const afterRollback = await status(v1.stack);
    expect(activeRelease(afterRollback).pid).not.toBe(v1Pid);
    expect(await (await fetch(v1.url)).text()).toContain(`api_token_length=${rotated.length}`);

    // More versions: the warm pool holds the newest two replaced releases; older ones stop.
    for (const version of ["v3", "v4", "v5"]) await deploy(await nodeRequest(projectId, version, `hello from ${version}`), { ...t.env, WARM_TEST_TOKEN: rotated });
    const settled = await status(v1.stack);
    expect(settled.releases.filter((r) => r.alive && !r.warm)).toHaveLength(1);
    expect(settled.releases.filter((r) => r.warm)).toHaveLength(2);
    expect(settled.releases.some((r) => r.pid === v1Pid)).toBe(false);
    expect(() => process.kill(v1Pid, 0)).toThrow();
  });

  it("keeps no release warm when configured with none, and a rollback then starts the old version anew", async () => {
    const cold = await createTestWorkspace("dp-cold-", { WARM_TEST_TOKEN: secretValue, DEPLOYMENT_PLANNER_WARM_RELEASES: "0" });
    try {
      const projectId = uniqueId("cold");
      const request = (version: string, greeting: string) => nodeRequest(projectId, version, greeting);
      const first = await planAndDeploy(await request("v1", "hello from v1"), { workspace: cold.workspace, env: cold.env });
      expect(first).toMatchObject({ status: "success" });
      const second = await planAndDeploy(await request("v2", "hello from v2"), { workspace: cold.workspace, env: cold.env });
      expect(second).toMatchObject({ status: "success" });
      const stack = (second as { stack: string }).stack;
      const releases = (await supervisorStatus(localStateDir(stack), cold.workspace.dir))!.releases;
      expect(releases.map((r) => r.warm)).toEqual([false]);
      const lines: string[] = [];
      const back = await rollback(projectId, "development", { workspace: cold.workspace, env: cold.env, onProgress: (line) => lines.push(line) });
      expect(back).toMatchObject({ status: "success", rolled_back_to: 1 });
      expect(lines.some((line) => line.includes("warm release"))).toBe(false);
      expect(await (await fetch((back as { url: string }).url)).text()).toContain("hello from v1");
      await destroyStack(stack, { workspace: cold.workspace, removeStack: true, force: true });
    } finally {
      await cold.cleanup();
    }
  });
});
