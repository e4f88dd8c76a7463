import { spawn } from "node:child_process";
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  planAndDeploy,
  type DeployResult,
  type DeploySuccess,
  destroyStack,
  previewStack,
  refreshStack,
  stackHistory,
  currentStackSpec,
} from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { filesContaining, portRefuses, processesUnder, startPoller } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");

function expectSuccess(result: DeployResult): asserts result is DeploySuccess {
  if (result.status !== "success") throw new Error(`expected success, got ${JSON.stringify(result)}`);
}

function staticRequest(projectId: string, source: string, extra: Record<string, unknown> = {}) {
  return {
    user_id: "u-1024",
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source,
    deployer_id: "user_129",
    version_name: "v1",
    ...extra,
  };
}

describe("local target through the real Pulumi engine", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeEach(async () => {
    t = await createTestWorkspace();
  });

  afterEach(async () => {
    for (const stack of stacks.splice(0)) {
      await destroyStack(stack, { workspace: t.workspace, removeStack: true }).catch(() => undefined);
    }
    await t.cleanup();
  });

  it("deploys a static site, redeploys a change on the same URL without a failed request, and destroys it cleanly", async () => {
    const source = path.join(t.root, "apps", "static-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const projectId = uniqueId("static");

    const first = await planAndDeploy(staticRequest(projectId, source), { workspace: t.workspace, env: t.env });
    expectSuccess(first);
    stacks.push(first.stack);
    expect(first.deployed_to).toBe("local");
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const page = await (await fetch(first.url)).text();
    expect(page).toContain("Deployment Planner example site");

    await writeFile(path.join(source, "index.html"), "<!doctype html><title>v2</title><h1>Second release of the example</h1>\n");
    const poller = startPoller(first.url);
    const second = await planAndDeploy(staticRequest(projectId, source, { version_name: "v2" }), { workspace: t.workspace, env: t.env });
    const polled = await poller.stop();
    expectSuccess(second);
    expect(second.url).toBe(first.url);
    expect(await (await fetch(second.url)).text()).toContain("Second release of the example");
    expect(second.artifact_digest).not.toBe(first.artifact_digest);
    expect(polled.ok).toBeGreaterThan(5);
    expect(polled).toMatchObject({ failed: 0 });

    const spec = await currentStackSpec(t.workspace, second.stack);
    expect(spec).not.toBeNull();
    const preview = await previewStack(spec!, {}, { workspace: t.workspace });
    expect(preview.hasChanges).toBe(false);

    const history = await stackHistory(second.stack, { workspace: t.workspace });
    const updates = history.filter((h) => h.kind === "update");
    expect(updates.map((h) => [h.versionName, h.deployer, h.result])).toEqual([
      ["v2", "user_129", "succeeded"],
      ["v1", "user_129", "succeeded"],
    ]);
    expect(updates[0]!.artifactDigest).toBe(second.artifact_digest);

    const port = Number(new URL(first.url).port);
    await destroyStack(second.stack, { workspace: t.workspace });
    expect(await portRefuses(port)).toBe(true);
    expect(await processesUnder(t.root)).toEqual([]);
  });

  it("serves again after its process is killed, once refresh and deploy have run", async () => {
    const source = path.join(t.root, "apps", "static-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const projectId = uniqueId("revive");
    const first = await planAndDeploy(staticRequest(projectId, source), { workspace: t.workspace, env: t.env });
    expectSuccess(first);
    stacks.push(first.stack);

    for (const pid of await processesUnder(t.root)) process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(fetch(first.url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();

    const refreshed = await refreshStack(first.stack, { workspace: t.workspace });
    expect(Object.keys(refreshed.changeSummary)).not.toEqual([]);
    const again = await planAndDeploy(staticRequest(projectId, source), { workspace: t.workspace, env: t.env });
    expectSuccess(again);
    expect(again.url).toBe(first.url);
    expect((await fetch(again.url)).status).toBe(200);
  });

  it("runs a Node server with an env var and a secret from env:, and the secret is written nowhere", async () => {
    const secretValue = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;
    const env = { ...t.env, DEMO_API_TOKEN: secretValue };
    const source = path.join(t.root, "apps", "node-server");
    await cp(path.join(REPO, "examples", "apps", "node-server"), source, { recursive: true });
    const request = {
      user_id: "u-1024",
      project_id: uniqueId("node"),
      deployment_type: "api",
      tech_stack: ["Node.js"],
      target: "local",
      environment: { ENV: "development" },
      source,
      env: { GREETING: "hello from the planner" },
      secrets: { API_TOKEN: "env:DEMO_API_TOKEN" },
      deployer_id: "user_129",
      version_name: "v1",
    };
    const result = await planAndDeploy(request, { workspace: t.workspace, env });
    expectSuccess(result);
    stacks.push(result.stack);
    expect(result.env_configured).toBe(true);
    expect(result.secrets.map((s) => [s.name, s.scheme])).toEqual([["API_TOKEN", "env"]]);

    const body = await (await fetch(result.url)).text();
    expect(body).toContain("hello from the planner");
    expect(body).toContain(`api_token_length=${secretValue.length}`);
    expect(body).not.toContain(secretValue);

    const history = await stackHistory(result.stack, { workspace: t.workspace });
    expect(JSON.stringify(history)).not.toContain(secretValue);
    expect(JSON.stringify(result)).not.toContain(secretValue);
    expect(await filesContaining(t.root, secretValue)).toEqual([]);
  });

  it("agrees with `pulumi preview` run by hand on the directory program", async () => {
    const source = path.join(t.root, "apps", "static-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const result = await planAndDeploy(staticRequest(uniqueId("manual"), source), { workspace: t.workspace, env: t.env });
    expectSuccess(result);
    stacks.push(result.stack);

    const output = await new Promise<{ code: number; text: string }>((resolve) => {
      const child = spawn("pulumi", ["preview", "--non-interactive", "--expect-no-changes", "-s", result.stack], {
        cwd: t.workspace.dir,
        env: { ...t.env, ...t.workspace.envVars },
      });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.stderr.on("data", (d: Buffer) => (text += d.toString()));
      child.on("close", (code) => resolve({ code: code ?? 1, text }));
    });
    expect(output.text).not.toMatch(/error:/);
    expect(output.code, output.text).toBe(0);
    expect(output.text).toMatch(/\d+ unchanged/);
  });

  it("deploys two projects concurrently from one process", async () => {
    const a = path.join(t.root, "apps", "a");
    const b = path.join(t.root, "apps", "b");
    await cp(path.join(REPO, "examples", "apps", "static-site"), a, { recursive: true });
    await cp(path.join(REPO, "examples", "apps", "static-site"), b, { recursive: true });
    await writeFile(path.join(b, "index.html"), "<h1>project b</h1>\n");
    const [ra, rb] = await Promise.all([
      planAndDeploy(staticRequest(uniqueId("para"), a), { workspace: t.workspace, env: t.env }),
      planAndDeploy(staticRequest(uniqueId("parb"), b), { workspace: t.workspace, env: t.env }),
    ]);
    expectSuccess(ra);
    expectSuccess(rb);
    stacks.push(ra.stack, rb.stack);
    expect(ra.url).not.toBe(rb.url);
    expect(await (await fetch(ra.url)).text()).toContain("Deployment Planner example site");
    expect(await (await fetch(rb.url)).text()).toContain("project b");
  });

  it("previews a preview_only request without deploying anything", async () => {
    const source = path.join(t.root, "apps", "static-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const result = await planAndDeploy(staticRequest(uniqueId("previewonly"), source, { deployment_type: "preview_only" }), {
      workspace: t.workspace,
      env: t.env,
    });
    if (result.status !== "previewed") throw new Error(JSON.stringify(result));
    stacks.push(result.stack);
    expect(result.has_changes).toBe(true);
    expect(result.changes).toMatchObject({ create: 4 });
    expect(result.steps.map((s) => s.type)).toContain("pulumi-nodejs:dynamic/local:Release");
    expect(await processesUnder(t.root)).toEqual([]);
  });

  it("redeploys the latest successful spec under a new version name from a redeploy request", async () => {
    const source = path.join(t.root, "apps", "static-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const projectId = uniqueId("redeploy");
    const first = await planAndDeploy(staticRequest(projectId, source), { workspace: t.workspace, env: t.env });
    expectSuccess(first);
    stacks.push(first.stack);

    const again = await planAndDeploy(
      { project_id: projectId, target_env: "development", deployer_id: "user_311", version_name: "v3.2" },
      { workspace: t.workspace, env: t.env },
    );
    expectSuccess(again);
    expect(again.url).toBe(first.url);
    expect(again.version_name).toBe("v3.2");
    expect(again.artifact_digest).toBe(first.artifact_digest);
    const history = await stackHistory(again.stack, { workspace: t.workspace });
    expect(history[0]).toMatchObject({ versionName: "v3.2", deployer: "user_311", result: "succeeded" });

    const missing = await planAndDeploy(
      { project_id: uniqueId("never"), target_env: "production", deployer_id: "user_311", version_name: "v1" },
      { workspace: t.workspace, env: t.env },
    );
    expect(missing).toMatchObject({ status: "error", stage: "plan" });
  });
});
