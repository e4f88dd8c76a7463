import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

describe("an interrupted CLI deploy: its exit code and its reason in plain words", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-interrupt-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A request for a Node app that starts listening only after 15 s, so its release is still being created when signalled. */
  async function slowRequest(name: string): Promise<{ file: string; stack: string }> {
    const projectId = uniqueId(name);
    const source = path.join(t.root, `${name}-src`);
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, "server.js"), `setTimeout(() => require("node:http").createServer((q, s) => s.end("late")).listen(Number(process.env.PORT), "127.0.0.1"), 15000);\n`);
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name, scripts: { start: "node server.js" } }));
    const file = path.join(t.root, `${name}.json`);
    await writeFile(file, JSON.stringify({ project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source }));
    stacks.push(`${projectId}.development`);
    return { file, stack: `${projectId}.development` };
  }

  /** Runs `deploy --json`, sends `signal` once the release is being created, and waits (bounded) for the exit. */
  async function interruptedDeploy(file: string, signal: NodeJS.Signals): Promise<{ code: number | null; result: Record<string, unknown> }> {
    const cli = spawn(process.execPath, [BIN, "deploy", file, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    cli.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => cli.on("close", resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the release was never created: ${stderr}`)), 120_000);
      cli.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("app-release create...")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    cli.kill(signal);
    const code = await Promise.race([closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the CLI did not exit within 60 s")), 60_000))]);
    return { code, result: JSON.parse(stdout) };
  }

  it("Ctrl-C exits 130 and says the update was cancelled by the user, in the result and in its log", async () => {
    const { file, stack } = await slowRequest("ctrl-c");
    const { code, result } = await interruptedDeploy(file, "SIGINT");
    expect(code).toBe(130);
    expect(result).toMatchObject({
      status: "error",
      stage: "deploy",
      reason: `the update of stack '${stack}' was cancelled by the user (Ctrl-C) while the engine was running (stage deploy)`,
    });
    const log = await readFile(result.log_file as string, "utf8");
    expect(log).toContain(`# cancelled\nthe update of stack '${stack}' was cancelled by the user (Ctrl-C) while the engine was running (stage deploy)\n`);
    // The Automation API's raw report of an interrupted engine is not what the user reads.
    expect(log).not.toMatch(/code: 128|err\?:/);
  });

  it("SIGTERM exits 143 and says the process was asked to stop", async () => {
    const { file, stack } = await slowRequest("sigterm");
    const { code, result } = await interruptedDeploy(file, "SIGTERM");
    expect(code).toBe(143);
    expect(result.reason).toBe(`the update of stack '${stack}' was cancelled by SIGTERM (the process was asked to stop) while the engine was running (stage deploy)`);
  });
});
