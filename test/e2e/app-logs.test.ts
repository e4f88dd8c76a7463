import { spawn, spawnSync } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAndDeploy, destroyStack } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");
const SECRET_VALUE = "app-logs-secret-value-7f3a9c";

/** `deployment-planner logs`: the app's own output on the local target, masked, and followed across a redeploy. */
describe("deployment-planner logs", () => {
  let test: TestWorkspace;
  const projectId = uniqueId("logs");
  const stack = `${projectId}.development`;
  let source = "";

  const request = (greeting: string) => ({
    project_id: projectId,
    deployment_type: "api",
    tech_stack: ["Node.js"],
    target: "local",
    environment: { ENV: "development" },
    source,
    env: { GREETING: greeting },
    secrets: { API_TOKEN: "env:APP_LOGS_TOKEN" },
  });

  beforeAll(async () => {
    // The deploying process resolves `env:` secrets from its own environment.
    process.env.APP_LOGS_TOKEN = SECRET_VALUE;
    test = await createTestWorkspace("dp-logs-", { APP_LOGS_TOKEN: SECRET_VALUE });
    source = path.join(test.root, "app");
    await cp(path.join(REPO, "examples", "apps", "node-server"), source, { recursive: true });
    // An app that prints its secret on start, as careless apps do: the log must show it masked.
    const server = await readFile(path.join(source, "server.js"), "utf8");
    await writeFile(path.join(source, "server.js"), server.replace("() => console.log(`listening on ${port}`)", "() => console.log(`listening on ${port} as ${process.env.GREETING} with token ${process.env.API_TOKEN}`)"));
  }, 120_000);

  afterAll(async () => {
    await destroyStack(stack, { workspace: test.workspace, removeStack: true, force: true }).catch(() => undefined);
    await test?.cleanup();
    delete process.env.APP_LOGS_TOKEN;
  }, 120_000);

  function cli(args: string[]) {
    return spawnSync(process.execPath, [BIN, ...args, "--workspace", test.workspace.dir], { env: test.env, encoding: "utf8", timeout: 60_000 });
  }

  it("prints the serving release's output with secrets masked, and follows it into the next release", async () => {
    const first = await planAndDeploy(request("hello"), { workspace: test.workspace, baseDir: test.root });
    expect(first.status, JSON.stringify(first)).toBe("success");

    const shown = cli(["logs", projectId, "development", "--json"]);
    expect(shown.status, shown.stderr).toBe(0);
    const tail = JSON.parse(shown.stdout) as { stack: string; release: string; lines: string[] };
    expect(tail.stack).toBe(stack);
    expect(tail.lines.some((line) => /listening on \d+ as hello with token \[secret\]/.test(line))).toBe(true);
    expect(shown.stdout).not.toContain(SECRET_VALUE);
    expect(cli(["logs", projectId, "development", "--lines", "-1"]).status).not.toBe(0);
    const missing = cli(["logs", "no-such-project", "development", "--json"]);
    expect(missing.status).not.toBe(0);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: "error", stage: "validation" });

    // Followed: the lines so far, then the new release's output once a redeploy switches to it; Ctrl-C ends it.
    const follower = spawn(process.execPath, [BIN, "logs", projectId, "development", "--follow", "--workspace", test.workspace.dir], { env: test.env, stdio: ["ignore", "pipe", "pipe"] });
    let followed = "";
    follower.stdout.on("data", (chunk: Buffer) => (followed += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on("close", resolve));
    const second = await planAndDeploy(request("bonjour"), { workspace: test.workspace, baseDir: test.root });
    expect(second.status).toBe("success");
    const deadline = Date.now() + 20_000;
    while (!/as bonjour with token \[secret\]/.test(followed) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    follower.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(followed).toMatch(/as hello with token \[secret\][\s\S]*as bonjour with token \[secret\]/);
    expect(followed).not.toContain(SECRET_VALUE);
  }, 240_000);
});
