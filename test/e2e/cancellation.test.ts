import { spawn, spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperationCancelledError, destroyStack, upStack } from "../../src/automation/index";
import { packageSource } from "../../src/packager/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { localSpec } from "../support/specs";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** Pids of live `pulumi` engine processes working on a stack (from `ps`, the way a user would look). */
function enginesOf(stack: string): number[] {
  return spawnSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" })
    .stdout.split("\n")
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith("Z") && /(^|\/)pulumi\s/.test(m[3]!) && m[3]!.includes(`--stack ${stack}`))
    .map((m) => Number(m[1]));
}

describe("cancellation touches only its own operation", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-cancel-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A Node app answering `body`, which starts listening only after `delayMs` (keeps its release create busy). */
  async function slowApp(body: string, delayMs: number): Promise<{ digest: string; path: string }> {
    const dir = path.join(t.root, `${body}-src`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, "server.js"),
      `setTimeout(() => require("node:http").createServer((q, s) => s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT), "127.0.0.1"), ${delayMs});\n`,
    );
    const bundle = await packageSource(dir, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    return { digest: bundle.digest, path: bundle.path };
  }

  function nodeSpec(projectId: string, artifact: { digest: string; path: string }) {
    const base = localSpec({ project_id: projectId });
    return localSpec({ project_id: projectId, deployment_type: "api", build: { ...base.build, kind: "node", start_command: "node server.js" }, artifact });
  }

  async function checkpoint(stack: string): Promise<string> {
    return readFile(path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner", `${stack}.json`), "utf8");
  }

  it("two updates on different stacks in one process, one cancelled mid-create: the other finishes and serves", async () => {
    const cancelled = nodeSpec(uniqueId("cancelled"), await slowApp("cancelled-app", 15_000));
    const survivor = nodeSpec(uniqueId("survivor"), await slowApp("survivor-app", 4_000));
    stacks.push(cancelled.stack, survivor.stack);

    const controller = new AbortController();
    const cancelledRun = upStack(cancelled, {}, {
      workspace: t.workspace,
      signal: controller.signal,
      // Cancelled once its release is being created, while the other stack's engine is busy too.
      onProgress: (line) => {
        if (line.includes("app-release create...")) setTimeout(() => controller.abort(), 500);
      },
    }).then(
      () => null,
      (error: unknown) => error,
    );
    const survivorRun = upStack(survivor, {}, { workspace: t.workspace });

    const [error, up] = await Promise.all([cancelledRun, survivorRun]);
    expect(error).toBeInstanceOf(OperationCancelledError);
    expect(up.changeSummary).toMatchObject({ create: expect.any(Number) });
    expect(await (await fetch(up.outputs.url as string)).text()).toBe("survivor-app");

    // The cancelled update left its stack clean: no pending operation, no lock, no engine.
    expect(await checkpoint(cancelled.stack)).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
    const locks = path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "locks", "organization", "deployment-planner", cancelled.stack);
    expect(await readdir(locks).catch(() => [])).toEqual([]);
    expect(enginesOf(cancelled.stack)).toEqual([]);
    // And the survivor still serves after the other's cancellation was cleaned up.
    expect(await (await fetch(up.outputs.url as string)).text()).toBe("survivor-app");
  });

  it("Ctrl-C in the CLI cancels its own deploy only; the stack is left unlocked with no pending operation", async () => {
    const other = nodeSpec(uniqueId("other"), await slowApp("other-app", 0));
    stacks.push(other.stack);
    const otherUp = await upStack(other, {}, { workspace: t.workspace });

    const projectId = uniqueId("interrupted");
    const source = path.join(t.root, "interrupted-src");
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, "server.js"), `setTimeout(() => require("node:http").createServer((q, s) => s.end("late")).listen(Number(process.env.PORT), "127.0.0.1"), 15000);\n`);
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: "interrupted", scripts: { start: "node server.js" } }));
    const request = path.join(t.root, "interrupted.json");
    await writeFile(request, JSON.stringify({ project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source }));
    stacks.push(`${projectId}.development`);

    const cli = spawn(process.execPath, [BIN, "deploy", request, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    cli.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const interrupted = new Promise<void>((resolve) => {
      cli.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("app-release create...")) resolve();
      });
    });
    await interrupted;
    const sent = Date.now();
    // Only the CLI process gets the interrupt, as from a terminal's Ctrl-C handled by the program itself.
    cli.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => cli.on("close", resolve));
    expect(Date.now() - sent).toBeLessThan(40_000);
    expect(code).not.toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "error", stage: "deploy", reason: expect.stringContaining("was cancelled") });

    expect(await checkpoint(`${projectId}.development`)).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
    expect(enginesOf(`${projectId}.development`)).toEqual([]);
    expect(await (await fetch(otherUp.outputs.url as string)).text()).toBe("other-app");
  });
});
