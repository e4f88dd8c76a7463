import { spawn, spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit, destroyStack } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { orphanedProviders, processesUnder, releaseAccounting } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** Moments of a deploy at which the whole deploying process group is killed, by the progress line that marks them. */
const KILL_POINTS = [
  { name: "while the release is being created", line: "app-release create" },
  { name: "while the deployed URL is being verified", line: "verifying http" },
] as const;

describe("a deploy killed with SIGKILL of its whole process group", () => {
  let t: TestWorkspace;
  let projectId = "";

  beforeEach(async () => {
    t = await createTestWorkspace("dp-crash-");
    projectId = uniqueId("crash");
  });

  afterEach(async () => {
    await destroyStack(`${projectId}.development`, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    // Whatever a failed clean-up left (a supervisor whose destroy did not finish) must not outlive the test.
    for (const pid of await processesUnder(t.root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await t.cleanup();
  });

  /** A Node server that takes a while to answer, so each kill point lasts long enough to be hit. */
  async function writeApp(version: string): Promise<string> {
    const dir = path.join(t.root, `app-${version}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, "server.js"),
      `setTimeout(() => require("node:http").createServer((q, s) => s.end(${JSON.stringify(version)})).listen(Number(process.env.PORT), "127.0.0.1"), 3000);\n`,
    );
    const request = path.join(t.root, `request-${version}.json`);
    await writeFile(
      request,
      JSON.stringify({ project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: dir }),
    );
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `app-${version}`, scripts: { start: "node server.js" } }));
    return request;
  }

  function deploy(request: string) {
    return spawnSync(process.execPath, [BIN, "deploy", request, "--workspace", t.workspace.dir, "--json"], { env: t.env, encoding: "utf8", timeout: 180_000 });
  }

  /** Starts a deploy in a process group of its own and kills the whole group once `line` shows in its progress. */
  async function killDeployAt(request: string, line: string): Promise<void> {
    const victim = spawn(process.execPath, [BIN, "deploy", request, "--workspace", t.workspace.dir], { env: t.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const seen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`'${line}' never showed:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      victim.stdout.on("data", onData);
      victim.stderr.on("data", onData);
    });
    await seen;
    process.kill(-victim.pid!, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  it.each(KILL_POINTS)("recovers with a plain deploy when killed $name: repaired, serving, one release, nothing orphaned", async ({ line }) => {
    const first = deploy(await writeApp("v1"));
    expect(first.status, first.stderr).toBe(0);
    const url = JSON.parse(first.stdout).url as string;

    const request = await writeApp("v2");
    await killDeployAt(request, line);
    // The killed engine's provider processes notice it is gone and exit by themselves, before any next command.
    const deadline = Date.now() + 10_000;
    while ((await orphanedProviders(t.root)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await orphanedProviders(t.root)).toEqual([]);
    // Never nothing for more than a moment: the endpoint keeps serving one of the two versions.
    expect(["v1", "v2"]).toContain(await (await fetch(url)).text());

    const again = deploy(request);
    expect(again.status, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout);
    expect(result).toMatchObject({ status: "success", url });
    expect(await (await fetch(url)).text()).toBe("v2");

    const checkpoint = await readFile(path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner", `${projectId}.development.json`), "utf8");
    expect(checkpoint).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
    const repaired = (await readAudit(t.workspace.dataDir)).filter((r) => r.action === "repair");
    if (repaired.length > 0) expect(result.warnings.some((w: string) => w.startsWith("repaired "))).toBe(true);
    // One app release serves (v1's stays warm for a rollback); the half-started one of the killed deploy was stopped,
    // not left running.
    const releases = await releaseAccounting(t.root, t.workspace.dir, `${projectId}.development`, /^node server\.js/);
    expect(releases.unaccounted).toEqual([]);
    expect(releases.serving).toBe(1);
    expect(releases.warm).toBeLessThanOrEqual(1);
  });
});
