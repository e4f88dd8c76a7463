import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, stackHistory } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");
const PROCESSES = 20;

/** Runs one CLI process to completion, with a bound. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 540_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe(`${PROCESSES} concurrent deploys of one stack from separate processes`, () => {
  let t: TestWorkspace;
  let stack = "";

  beforeAll(async () => {
    t = await createTestWorkspace("dp-concurrent-");
  });

  afterAll(async () => {
    if (stack) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  it("all succeed on a stack that did not exist yet, each as its own update, and none surfaces a lock error", async () => {
    const projectId = uniqueId("crowd");
    stack = `${projectId}.development`;
    const source = path.join(t.root, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const request = path.join(t.root, "request.json");
    await writeFile(
      request,
      JSON.stringify({ project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source }),
    );

    const started = Date.now();
    const runs = await Promise.all(Array.from({ length: PROCESSES }, () => runCli(["deploy", request, "--workspace", t.workspace.dir, "--json"], t.env)));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const results = runs.map((run) => {
      try {
        return JSON.parse(run.stdout) as { status: string; url?: string; reason?: string; log_file?: string };
      } catch {
        return { status: `unparsable (exit ${run.code}): ${run.stderr.slice(-500)}` };
      }
    });
    console.log(`${PROCESSES} concurrent CLI deploys of one stack finished in ${seconds} s`);
    const failed = results.filter((r) => r.status !== "success");
    // A failure shows its engine log, so a red run says why.
    const logs = failed.map((r) => (r.log_file ? readFileSync(r.log_file, "utf8").slice(-3000) : "")).join("\n----\n");
    expect(failed, logs).toEqual([]);
    expect(runs.map((r) => r.code)).toEqual(Array(PROCESSES).fill(0));
    expect(runs.filter((r) => /locked|lock wait/i.test(r.stdout))).toEqual([]);
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    expect(await (await fetch(results[0]!.url!)).text()).toContain("<");

    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history.filter((entry) => entry.kind === "update" && entry.result === "succeeded")).toHaveLength(PROCESSES);
    // Twenty serialized updates on a busy two-core machine take minutes; each process still waits within its lock wait.
  }, 600_000);
});
