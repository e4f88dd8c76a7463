import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, stackStatus } from "../../src/automation/index";
import { createToken } from "../../src/service/tokens";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * What `status`, `list`, `history` and the service's API report after a Ctrl-C mid-update, a rollback and a destroy:
 * the update and version that serve (from the engine's history, never the stack file's cancelled intent), each
 * operation with how it ended and who ran it, in the past tense.
 */
describe("status from the truth: what serves, and what happened", () => {
  let t: TestWorkspace;
  let service: ServiceHarness | undefined;
  const projectId = uniqueId("truth");
  const stack = `${projectId}.development`;
  const me = os.userInfo().username;
  let url = "";

  beforeAll(async () => {
    t = await createTestWorkspace("dp-truth-");
  });

  afterAll(async () => {
    await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await service?.stop([]);
    await t.cleanup();
  }, 180_000);

  /** Runs the CLI in the test workspace; `onStderr` sees its progress as it comes. Killed after three minutes. */
  function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir], { env: t.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        onStderr?.(stderr, child);
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** A request for a Node app answering `body` once `delayMs` passed since it started. */
  async function release(version: string, delayMs = 0): Promise<string> {
    const source = path.join(t.root, `app-${version}`);
    await mkdir(source, { recursive: true });
    await writeFile(
      path.join(source, "server.js"),
      `setTimeout(() => require("node:http").createServer((q, s) => s.end(${JSON.stringify(version)})).listen(Number(process.env.PORT), "127.0.0.1"), ${delayMs});\n`,
    );
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: `truth-${version}`, scripts: { start: "node server.js" } }));
    const request = path.join(t.root, `request-${version}.json`);
    await writeFile(
      request,
      JSON.stringify({ project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source, version_name: version, deployer_id: "release-bot" }),
    );
    return request;
  }

  it("after a Ctrl-C mid-update, status, list and the library report v2 serving and the v3 update as cancelled", async () => {
    for (const version of ["v1", "v2"]) {
      const run = await cli(["deploy", await release(version), "--json"]);
      expect(run.code, run.stderr).toBe(0);
      url = JSON.parse(run.stdout).url as string;
    }
    expect(await (await fetch(url)).text()).toBe("v2");

    // v3 is interrupted while its release is being created, as from a terminal's Ctrl-C.
    let sent = false;
    const interrupted = await cli(["deploy", await release("v3", 15_000), "--json"], (stderr, child) => {
      if (!sent && stderr.includes("app-release create")) {
        sent = true;
        setTimeout(() => child.kill("SIGINT"), 500);
      }
    });
    expect(sent).toBe(true);
    expect(interrupted.code).not.toBe(0);
    expect(JSON.parse(interrupted.stdout)).toMatchObject({ status: "error", stage: "deploy" });
    expect(await (await fetch(url)).text()).toBe("v2");

    const cancelled = { update: 3, version_name: "v3", operation: "deploy", outcome: "cancelled", by: me, deployer: "release-bot" };
    const serving = { update: 2, version_name: "v2", operation: "deploy", outcome: "succeeded", by: me, deployer: "release-bot" };
    const status = await stackStatus(t.workspace, stack);
    expect(status).toMatchObject({ update: 2, version: 2, version_name: "v2", url, serving, last_update: cancelled, destroyed: null });

    const statusJson = await cli(["status", projectId, "development", "--json"]);
    expect(statusJson.code, statusJson.stderr).toBe(0);
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ update: 2, version_name: "v2", serving, last_update: cancelled });
    const statusText = await cli(["status", projectId, "development"]);
    const [headline, ...rest] = statusText.stdout.split("\n");
    expect(headline).toBe(`${stack} on local: serving update 2 (version v2)`);
    expect(rest.join("\n")).toMatch(new RegExp(`update 2: deployed v2 by ${me} at \\S+\\n\\s+update 3: deploy of v3 cancelled by ${me} at \\S+`));

    const listJson = await cli(["list", "--project", projectId, "--json"]);
    expect(JSON.parse(listJson.stdout).stacks).toMatchObject([{ stack, update: 2, version: 2, version_name: "v2", serving, last_update: cancelled }]);
    const listText = await cli(["list", "--project", projectId]);
    const row = listText.stdout.split("\n").find((line) => line.startsWith(stack))!;
    expect(row).toMatch(new RegExp(`^${stack.replace(/\./g, "\\.")}\\s+local\\s+2\\s+v2\\s+${url}\\s+update 3: deploy of v3 cancelled by ${me} at `));

    const history = await cli(["history", projectId, "development"]);
    expect(history.stdout).toMatch(/^\s+3  deploy\s+cancelled\s+\S+\s+v3\s+/m);
  });

  it("the service's API reports the same; a rollback through it shows as 'rollback from 2 to 1', run by the token", async () => {
    await mkdir(path.join(t.root, "sources"), { recursive: true });
    service = await startServiceHarness(t.root, path.join(t.root, "sources"));
    const reader = await createToken(service.database.pool, [projectId], "deploy");
    const api = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`${service!.base}${route}`, {
        method,
        headers: { authorization: `Bearer ${reader.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const cancelled = { update: 3, version_name: "v3", outcome: "cancelled", by: me };
    expect(await api("GET", `/v1/stacks/${projectId}/development`)).toMatchObject({ update: 2, version: 2, version_name: "v2", serving: { update: 2, version_name: "v2" }, last_update: cancelled });
    expect((await api("GET", `/v1/stacks?project_id=${projectId}`)).stacks).toMatchObject([{ stack, update: 2, version_name: "v2", last_update: cancelled }]);

    const queued = await api("POST", `/v1/stacks/${projectId}/development/rollback`, {});
    const deadline = Date.now() + 150_000;
    let record = queued;
    while (record.status !== "succeeded" && record.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      record = await api("GET", `/v1/deployments/${queued.id as string}`);
    }
    expect(record).toMatchObject({ status: "succeeded", result: { rolled_back_from: 2, rolled_back_to: 1 } });
    expect(await (await fetch(url)).text()).toBe("v1");

    const rolledBack = { update: 4, operation: "rollback", description: "rollback from 2 to 1", outcome: "succeeded", version_name: "v1", by: `token:${reader.id}` };
    expect(await api("GET", `/v1/stacks/${projectId}/development`)).toMatchObject({ update: 4, version_name: "v1", serving: rolledBack, last_update: rolledBack });
    const history = await cli(["history", projectId, "development"]);
    // Who ran it is the token; the deployer stays the one the request of the version it re-applied named.
    expect(history.stdout).toMatch(new RegExp(`^\\s+4  rollback from 2 to 1\\s+succeeded\\s+\\S+\\s+v1\\s+token:${reader.id}\\s+release-bot\\s`, "m"));
    const json = JSON.parse((await cli(["history", projectId, "development", "--json"])).stdout);
    expect(json.updates[0]).toMatchObject({ update: 4, operation: "rollback", rolledBackFrom: 2, rolledBackTo: 1, ranBy: `token:${reader.id}`, outcome: "succeeded" });
    const status = await cli(["status", projectId, "development"]);
    expect(status.stdout).toContain(`update 4: rolled back from 2 to 1 (v1) by token:${reader.id} at `);
  });

  it("a destroy shows in list's table, attributed to the user who ran it, in the past tense", async () => {
    const destroyed = await cli(["destroy", projectId, "development"]);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toMatch(new RegExp(`^destroyed ${stack.replace(/\./g, "\\.")}: \\d+ resources deleted$`, "m"));
    expect(destroyed.stdout).not.toMatch(/\bto delete\b/);

    const listText = await cli(["list", "--project", projectId]);
    const row = listText.stdout.split("\n").find((line) => line.startsWith(stack))!;
    expect(row).toMatch(new RegExp(`\\s+local\\s+-\\s+-\\s+-\\s+update 5: destroyed by ${me} at \\S+`));
    expect(row).not.toContain("release-bot");
    const listJson = JSON.parse((await cli(["list", "--project", projectId, "--json"])).stdout);
    expect(listJson.stacks[0]).toMatchObject({ update: null, version_name: null, serving: null, destroyed: { update: 5, operation: "destroy", by: me }, last_update: { kind: "destroy", result: "succeeded", by: me } });

    const status = await cli(["status", projectId, "development"]);
    expect(status.stdout.split("\n")[0]).toBe(`${stack} on local: serves nothing: update 5: destroyed by ${me} at ${listJson.stacks[0].destroyed.time}`);
    const history = JSON.parse((await cli(["history", projectId, "development", "--json"])).stdout);
    expect(history.updates[0]).toMatchObject({ update: 5, operation: "destroy", ranBy: me, deployer: null, outcome: "succeeded" });
    for (const text of [listText.stdout, status.stdout, (await cli(["history", projectId, "development"])).stdout]) expect(text).not.toMatch(/\bto (delete|create|update|replace)\b/);
  });
});
