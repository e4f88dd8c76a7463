import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { liveProcesses } from "../support/processes";
import { runCliProcess as cli, startServeProcess, type ServeProcess } from "../support/serve-process";
import { serveDatabaseLeftovers } from "../support/database";

const REPO = path.join(__dirname, "..", "..");

describe("one state per workspace: the CLI beside a running service", () => {
  let root = "";
  let serve: ServeProcess | undefined;
  /** What a test that stops midway leaves to clean up: the stack it deployed, while the service still runs. */
  let leftStack: { args: string[]; env: NodeJS.ProcessEnv } | undefined;

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) {
      if (leftStack) await cli(leftStack.args, leftStack.env).catch(() => undefined);
      await serve.stop();
    }
    if (!root) return;
    // A root-run embedded server keeps its data outside the workspace, named by it.
    const dataDir = path.resolve(root, "workspace", ".deployment-planner");
    for (const leftover of [root, ...serveDatabaseLeftovers(dataDir)]) await rm(leftover, { recursive: true, force: true });
  }, 60_000);

  it("shows the stacks the service deployed, acts on them, and once the service stops says where they are and how to reach them", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-one-state-"));
    const sources = path.join(root, "sources");
    const workspace = path.join(root, "workspace");
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sources, "site"), { recursive: true });
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "", PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
    delete env.PULUMI_BACKEND_URL;
    const inWorkspace = ["--workspace", workspace];

    const started = await startServeProcess(["--source-root", sources, ...inWorkspace], env);
    serve = started;
    const token = JSON.parse((await cli(["tokens", "create", "--name", "state-deploy", "--project", "*", "--scope", "deploy", "--json", ...inWorkspace], env)).stdout).token as string;
    const projectId = uniqueId("one-state");
    leftStack = { args: ["destroy", projectId, "development", "--remove", ...inWorkspace], env };
    const request = { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", version_name: "v1" };
    const queued = (await (
      await fetch(`${started.address}/v1/deployments`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(request) })
    ).json()) as { id: string };
    let deployment: { status: string; result: { url?: string } | null } = { status: "queued", result: null };
    for (const deadline = Date.now() + 180_000; Date.now() < deadline && !["succeeded", "failed"].includes(deployment.status); ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      deployment = (await (await fetch(`${started.address}/v1/deployments/${queued.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof deployment;
    }
    expect(deployment.status).toBe("succeeded");
    const url = deployment.result!.url!;

    // The CLI in the same workspace reads the service's state: the stack, its version and URL, its history.
    const status = await cli(["status", projectId, "development", "--json", ...inWorkspace], env);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ stack: `${projectId}.development`, version_name: "v1", url });
    const list = await cli(["list", "--json", ...inWorkspace], env);
    expect(list.code).toBe(0);
    expect(JSON.stringify(JSON.parse(list.stdout))).toContain(`${projectId}.development`);
    const history = await cli(["history", projectId, "development", "--json", ...inWorkspace], env);
    expect(history.code, history.stdout + history.stderr).toBe(0);
    expect(history.stdout).toContain("v1");
    const doctor = await cli(["doctor", "--json", ...inWorkspace], env);
    expect(JSON.parse(doctor.stdout).backend).toMatch(/^postgres:\/\/deployment_planner:\[secret\]@127\.0\.0\.1:\d+\/postgres\?.*table=deployment_planner_pulumi_state/);
    // ... and acts on it: the stack the service deployed is destroyed from the CLI.
    const destroyed = await cli(["destroy", projectId, "development", "--remove", ...inWorkspace], env);
    expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
    leftStack = undefined;

    expect(await serve.stop()).toBe(0);

    // With the service stopped, its state cannot be reached: the CLI says where it is and how to reach it.
    const after = await cli(["list", ...inWorkspace], env);
    expect(after.code).toBe(2);
    expect(after.stdout).toMatch(/this workspace's stacks are kept by its deployment service in an embedded PostgreSQL \(data in \/.+\), which is not running/);
    expect(after.stdout).toContain("Start `deployment-planner serve` in this workspace");
    const left = (await liveProcesses()).filter((row) => row.args.includes(root));
    expect(left).toEqual([]);
  }, 600_000);
});
