import { spawn } from "node:child_process";
import { cp } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit, planAndDeploy, collectExpiredPreviews, destroyStack, listStacks } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { portRefuses } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

describe("environments: list and preview garbage collection", () => {
  let t: TestWorkspace;
  const projectId = uniqueId("envs");
  const stacks = [`${projectId}.development`, `${projectId}.preview-pr-7`, `${projectId}.preview-pr-8`];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-envs-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function deploy(environment: Record<string, string>, extra: Record<string, unknown> = {}) {
    const source = path.join(t.root, `site-${environment.NAME ?? environment.ENV}`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const result = await planAndDeploy(
      { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment, source, version_name: "v1", ...extra },
      { workspace: t.workspace },
    );
    expect(result).toMatchObject({ status: "success" });
    return result as { url: string; stack: string };
  }

  function cli(...args: string[]): Promise<{ status: number | null; result: Record<string, unknown> }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.on("close", (status) => resolve({ status, result: JSON.parse(stdout || "{}") as Record<string, unknown> }));
    });
  }

  it("lists every stack with its version, URL and last update; gc destroys an expired preview and nothing else", async () => {
    const dev = await deploy({ ENV: "development" });
    const longLived = await deploy({ ENV: "preview", NAME: "pr-7" }, { ttl_hours: 240 });
    const shortLived = await deploy({ ENV: "preview", NAME: "pr-8" }, { ttl_hours: 1 });

    const listed = await cli("list", "--project", projectId);
    expect(listed.status).toBe(0);
    const rows = listed.result.stacks as { stack: string; version: number; url: string; expires_at: string | null; last_update: { result: string }; locked: boolean }[];
    expect(rows.map((row) => row.stack)).toEqual([...stacks].sort());
    expect(rows.find((row) => row.stack === dev.stack)).toMatchObject({ version: 1, version_name: "v1", url: dev.url, expires_at: null, locked: false, last_update: { result: "succeeded", kind: "update" } });
    expect(rows.find((row) => row.stack === shortLived.stack)!.expires_at).not.toBeNull();

    // Two hours on: only the one-hour preview has expired.
    const later = Date.now() + 2 * 3600_000;
    const dry = await collectExpiredPreviews(t.workspace, { dryRun: true, now: later });
    expect(dry).toMatchObject({ dry_run: true, expired: [{ stack: shortLived.stack }], destroyed: [] });
    expect(existsSync(path.join(t.workspace.stacksDir, `Pulumi.${shortLived.stack}.yaml`))).toBe(true);

    const collected = await collectExpiredPreviews(t.workspace, { now: later });
    expect(collected).toMatchObject({ destroyed: [shortLived.stack], failed: [] });
    expect(await portRefuses(Number(new URL(shortLived.url).port))).toBe(true);
    expect(existsSync(path.join(t.workspace.stacksDir, `Pulumi.${shortLived.stack}.yaml`))).toBe(false);
    // Nothing else was touched, and a second run finds nothing to do.
    expect((await fetch(dev.url)).status).toBe(200);
    expect((await fetch(longLived.url)).status).toBe(200);
    expect((await collectExpiredPreviews(t.workspace, { now: later })).expired).toEqual([]);
    expect((await listStacks(t.workspace, { projectId })).map((s) => s.stack)).toEqual([dev.stack, longLived.stack].sort());
    expect((await readAudit(t.workspace.dataDir)).filter((e) => e.action === "gc").length).toBe(2);

    const cliDry = await cli("gc", "--dry-run");
    expect(cliDry).toMatchObject({ status: 0, result: { dry_run: true, expired: [] } });
  });
});
