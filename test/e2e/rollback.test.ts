import { spawn } from "node:child_process";
import { cp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAudit, stackHistory, destroyStack, rollback } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { startPoller } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

describe("rollback on the local target", () => {
  let t: TestWorkspace;
  let projectId = "";
  let stack = "";

  beforeAll(async () => {
    t = await createTestWorkspace("dp-rollback-");
    projectId = uniqueId("rb");
    stack = `${projectId}.development`;
  });

  afterAll(async () => {
    await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** Writes a static site whose page says `body`, and a request deploying it under `version`. */
  async function release(version: string, body: string): Promise<string> {
    const source = path.join(t.root, `site-${version}`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), body);
    const request = path.join(t.root, `request-${version}.json`);
    await writeFile(
      request,
      JSON.stringify({ project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: version, deployer_id: "alice" }),
    );
    return request;
  }

  /** Runs the CLI without blocking this process, so the poller keeps polling meanwhile. */
  function cli(...args: string[]): Promise<{ status: number | null; stderr: string; result: Record<string, unknown> }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stderr, result: JSON.parse(stdout || "{}") as Record<string, unknown> });
      });
    });
  }

  it("rolls back to the previous version and forward again by version name, on the same URL, each as a new update", async () => {
    const v1 = await cli("deploy", await release("v1", "<h1>first</h1>"));
    expect(v1.status, v1.stderr).toBe(0);
    const v2 = await cli("deploy", await release("v2", "<h1>second</h1>"));
    expect(v2.status, v2.stderr).toBe(0);
    const url = v2.result.url as string;
    expect(await (await fetch(url)).text()).toContain("second");

    const poller = startPoller(url);
    const back = await cli("rollback", projectId, "development");
    expect(back.status, back.stderr).toBe(0);
    expect(back.result).toMatchObject({ status: "success", url, rolled_back_from: 2, rolled_back_to: 1, version: 3, version_name: "v1" });
    expect(await (await fetch(url)).text()).toContain("first");

    const forward = await cli("rollback", projectId, "development", "--to", "v2");
    expect(forward.status, forward.stderr).toBe(0);
    expect(forward.result).toMatchObject({ rolled_back_from: 3, rolled_back_to: 2, version: 4 });
    expect(await (await fetch(url)).text()).toContain("second");
    // The URL never stopped serving while versions changed.
    const polled = await poller.stop();
    expect(polled.failed, polled.failures.join(", ")).toBe(0);

    const history = await stackHistory(stack, { workspace: t.workspace });
    expect(history.slice(0, 2).map((entry) => entry.message)).toEqual([
      expect.stringContaining(`rollback ${stack} from 3 to 2`),
      expect.stringContaining(`rollback ${stack} from 2 to 1`),
    ]);
    expect(history[1]).toMatchObject({ versionName: "v1", result: "succeeded", artifactDigest: v1.result.artifact_digest });
    const audited = (await readAudit(t.workspace.dataDir)).filter((entry) => entry.action === "rollback");
    expect(audited.map((entry) => [entry.from_version, entry.to_version, entry.status])).toEqual([
      [2, 1, "success"],
      [3, 2, "success"],
    ]);
  });

  it("keeps the bundles of the last N successful versions, and a rollback past them fails its pre-check", async () => {
    const { planAndDeploy } = await import("../../src/automation/index");
    const { pruneArtifacts } = await import("../../src/automation/release/artifact-retention");
    const retained = uniqueId("keep");
    const digests: string[] = [];
    for (const version of ["k1", "k2", "k3", "k4"]) {
      const source = path.join(t.root, `retain-${version}`);
      await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
      await writeFile(path.join(source, "index.html"), `<h1>${version}</h1>`);
      const request = { project_id: retained, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: version };
      const result = await planAndDeploy(request, { workspace: t.workspace, retainVersions: 2 });
      expect(result).toMatchObject({ status: "success" });
      digests.push((result as { artifact_digest: string }).artifact_digest);
    }
    const bundle = (digest: string) => path.join(t.workspace.dataDir, "bundles", digest.slice("sha256:".length));
    const exists = (digest: string) => import("node:fs").then((fs) => fs.existsSync(bundle(digest)));
    // Bundles just written are never pruned (a deploy in flight may use them); an hour later the old ones go.
    expect(await Promise.all(digests.map(exists))).toEqual([true, true, true, true]);
    const removed = await pruneArtifacts(t.workspace, Date.now() + 2 * 3600_000);
    expect(removed).toEqual(expect.arrayContaining([digests[0], digests[1]]));
    expect(removed).not.toContain(digests[2]);
    expect(removed).not.toContain(digests[3]);
    expect(await Promise.all(digests.map(exists))).toEqual([false, false, true, true]);

    const tooOld = await rollback(retained, "development", { workspace: t.workspace, to: "k1" });
    expect(tooOld).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("no longer in the artifact store") });
    const recent = await rollback(retained, "development", { workspace: t.workspace, to: "k3" });
    expect(recent).toMatchObject({ status: "success", rolled_back_to: 3 });
    await destroyStack(`${retained}.development`, { workspace: t.workspace, removeStack: true, force: true });
  });

  it("fails its pre-checks at stage rollback, before any engine run, and changes nothing", async () => {
    const before = (await stackHistory(stack, { workspace: t.workspace })).length;
    const missing = await rollback(projectId, "development", { workspace: t.workspace, to: 99 });
    expect(missing).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("no such update") });
    const current = await rollback(projectId, "development", { workspace: t.workspace, to: 4 });
    expect(current).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("is the current version") });
    const never = await rollback("never-deployed", "development", { workspace: t.workspace });
    expect(never).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("never been deployed") });
    const bad = await rollback("../etc", "development", { workspace: t.workspace });
    expect(bad).toMatchObject({ status: "error", stage: "validation" });

    // A pruned bundle: the version cannot be restored, and the check says so before anything runs.
    const v1 = (await stackHistory(stack, { workspace: t.workspace })).find((entry) => entry.version === 1)!;
    await rm(path.resolve(t.workspace.dir, v1.spec!.artifact!.path), { recursive: true, force: true });
    const pruned = await rollback(projectId, "development", { workspace: t.workspace, to: 1 });
    expect(pruned).toMatchObject({ status: "error", stage: "rollback", reason: expect.stringContaining("no longer in the artifact store") });
    expect((await stackHistory(stack, { workspace: t.workspace })).length).toBe(before);
  });
});
