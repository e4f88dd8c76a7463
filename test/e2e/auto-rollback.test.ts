import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit, planAndDeploy, stackHistory, destroyStack, currentStackSpec } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { startPoller } from "../support/processes";

describe("automatic rollback when an update fails its health check", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-autorollback-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A Node app: `healthyAnswers` good answers (or all when null) with `body`, then HTTP 500 for everything. */
  async function app(projectId: string, name: string, body: string, healthyAnswers: number | null) {
    const source = path.join(t.root, `${projectId}-${name}`);
    await mkdir(source, { recursive: true });
    await writeFile(
      path.join(source, "server.js"),
      `let served = 0;\nrequire("node:http").createServer((q, s) => { served += 1; if (${healthyAnswers === null ? "false" : `served > ${healthyAnswers}`}) { s.statusCode = 500; s.end("broken"); } else s.end(${JSON.stringify(body)}); }).listen(Number(process.env.PORT), "127.0.0.1");\n`,
    );
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name, scripts: { start: "node server.js" } }));
    return { project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "staging" }, source, version_name: name };
  }

  it("keeps serving the healthy version when the new release never passes its check, and says so", async () => {
    const projectId = uniqueId("arb");
    stacks.push(`${projectId}.staging`);
    const good = await planAndDeploy(await app(projectId, "v1", "good", null), { workspace: t.workspace });
    expect(good).toMatchObject({ status: "success", version: 1 });
    const url = (good as { url: string }).url;

    const poller = startPoller(url);
    const bad = await planAndDeploy(await app(projectId, "v2", "bad", 0), { workspace: t.workspace });
    const polled = await poller.stop();
    expect(bad).toMatchObject({ status: "error", stage: "verify", rolled_back_to: 1 });
    expect(polled.failed, polled.failures.join(", ")).toBe(0);
    expect(await (await fetch(url)).text()).toBe("good");
    // The desired state is the healthy version again, not the failed one.
    expect((await currentStackSpec(t.workspace, `${projectId}.staging`))?.version_name).toBe("v1");

    // The history read from the file backend's files is the one the engine lists: updates, a failed one, a refresh.
    const { refreshStack } = await import("../../src/automation/index");
    await refreshStack(`${projectId}.staging`, { workspace: t.workspace });
    const fromFiles = await stackHistory(`${projectId}.staging`, { workspace: t.workspace });
    expect(fromFiles.map((e) => [e.version, e.kind, e.result])).toEqual([
      [3, "refresh", "succeeded"],
      [2, "update", "failed"],
      [1, "update", "succeeded"],
    ]);
    expect(fromFiles).toEqual(await stackHistory(`${projectId}.staging`, { workspace: t.workspace, fromEngine: true }));
  });

  it("rolls back with a new update when the new release took traffic and then failed verification", async () => {
    const projectId = uniqueId("arb");
    const stack = `${projectId}.staging`;
    stacks.push(stack);
    const good = await planAndDeploy(await app(projectId, "v1", "good", null), { workspace: t.workspace });
    expect(good).toMatchObject({ status: "success", version: 1 });
    const url = (good as { url: string }).url;

    // Healthy for the supervisor's first probe, broken by the time the planner verifies the URL.
    const bad = await planAndDeploy(await app(projectId, "v2", "flaky", 1), { workspace: t.workspace, healthTimeoutMs: 3000 });
    expect(bad).toMatchObject({ status: "error", stage: "verify", rolled_back_to: 1 });
    expect(await (await fetch(url)).text()).toBe("good");
    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history[0]).toMatchObject({ version: 3, result: "succeeded", versionName: "v1", message: expect.stringContaining(`rollback ${stack} from 2 to 1`) });
    const audit = await readAudit(t.workspace.dataDir);
    expect(audit.filter((e) => e.stack === stack && e.action === "deploy" && e.stage === "verify")).toMatchObject([{ update_version: 2 }]);

    // A later plain rollback never picks the update that failed its check.
    const { rollback } = await import("../../src/automation/index");
    const refused = await rollback(projectId, "staging", { workspace: t.workspace, to: 2 });
    expect(refused).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("failed its health check") });
  });

  it("leaves a development stack's failed update alone (automatic rollback is off there unless asked)", async () => {
    const projectId = uniqueId("arb");
    stacks.push(`${projectId}.development`);
    const request = { ...(await app(projectId, "v1", "good", null)), environment: { ENV: "development" } };
    expect(await planAndDeploy(request, { workspace: t.workspace })).toMatchObject({ status: "success" });
    const bad = await planAndDeploy({ ...(await app(projectId, "v2", "bad", 0)), environment: { ENV: "development" } }, { workspace: t.workspace });
    expect(bad).toMatchObject({ status: "error", stage: "verify" });
    expect(bad).not.toHaveProperty("rolled_back_to");
  });
});
