import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAudit, StackLockedError, unlockStack, destroyStack, upStack } from "../../src/automation/index";
import { packageSource } from "../../src/packager/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { processesUnder } from "../support/processes";
import { localSpec } from "../support/specs";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("stale stack locks", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeEach(async () => {
    t = await createTestWorkspace("dp-locks-");
  });

  afterEach(async () => {
    for (const stack of stacks.splice(0)) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function deployedStatic(prefix: string) {
    const source = path.join(t.root, prefix);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const spec = localSpec({ project_id: uniqueId(prefix), artifact: { digest: bundle.digest, path: bundle.path } });
    await upStack(spec, {}, { workspace: t.workspace });
    stacks.push(spec.stack);
    return spec;
  }

  function lockDir(stack: string): string {
    return path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "locks", "organization", "deployment-planner", stack);
  }

  async function writeLock(stack: string, holder: { pid: number; timestamp: string; hostname?: string }): Promise<void> {
    await mkdir(lockDir(stack), { recursive: true });
    await writeFile(
      path.join(lockDir(stack), `left-behind-${holder.pid}.json`),
      JSON.stringify({ hostname: os.hostname(), ...holder, username: "deployer" }),
    );
  }

  function leaseDir(stack: string): string {
    return path.join(t.workspace.dir, ".pulumi-state", ".deployment-planner", "leases", "deployment-planner", stack);
  }

  /** A lease as another host's deploy keeps it, last renewed `ageMs` ago. */
  async function writeLease(stack: string, hostname: string, ageMs: number): Promise<void> {
    await mkdir(leaseDir(stack), { recursive: true });
    await writeFile(
      path.join(leaseDir(stack), `${hostname}.4242.json`),
      JSON.stringify({ hostname, pid: 4242, renewed_at: new Date(Date.now() - ageMs).toISOString(), ttl_ms: 60_000 }),
    );
  }

  it("breaks within seconds a lock whose holder on this host is gone, and audits it", async () => {
    const spec = await deployedStatic("dead-holder");
    const pid = deadPid();
    await writeLock(spec.stack, { pid, timestamp: new Date().toISOString() });

    const lines: string[] = [];
    const started = Date.now();
    const up = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 60_000, onProgress: (l) => lines.push(l) });
    expect(up.changeSummary).toMatchObject({ same: 4 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(lines).toContainEqual(expect.stringContaining(`broke the stale lock of ${spec.stack}: its holder, process ${pid}`));
    const audit = (await readAudit(t.workspace.dataDir)).filter((r) => r.action === "unlock");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ stack: spec.stack, status: "success" });
    expect(audit[0]!.reason).toContain(`pid ${pid}`);
    console.log(`stale lock of a dead process on this host broken and the update done in ${Date.now() - started} ms`);
  });

  it("breaks within seconds a lock from another host whose lease stopped being renewed, and audits it", async () => {
    const spec = await deployedStatic("expired-lease");
    await writeLock(spec.stack, { pid: 4242, hostname: "builder-7", timestamp: new Date(Date.now() - 300_000).toISOString() });
    await writeLease(spec.stack, "builder-7", 120_000);
    const lines: string[] = [];
    const started = Date.now();
    const up = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 60_000, onProgress: (l) => lines.push(l) });
    expect(up.changeSummary).toMatchObject({ same: 4 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(lines).toContainEqual(expect.stringContaining(`broke the stale lock of ${spec.stack}: its holder on builder-7 stopped renewing its lease`));
    expect((await readAudit(t.workspace.dataDir)).filter((r) => r.action === "unlock")).toHaveLength(1);
    // The expired lease went with the lock; this process's own lease was released after its update.
    expect(await readdir(leaseDir(spec.stack))).toEqual([]);
    console.log(`stale lock of another host (expired lease) broken and the update done in ${Date.now() - started} ms`);
  });

  it("waits for a lock from another host that still renews its lease, naming the holder", async () => {
    const spec = await deployedStatic("live-lease");
    const since = new Date().toISOString();
    await writeLock(spec.stack, { pid: 4242, hostname: "builder-8", timestamp: since });
    await writeLease(spec.stack, "builder-8", 1_000);
    expect((await unlockStack(t.workspace, spec.stack)).held).toHaveLength(1);
    const error = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 2000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StackLockedError);
    expect((error as StackLockedError).message).toContain(`deployer@builder-8, pid 4242, since ${since}`);
    expect(await readdir(lockDir(spec.stack))).toHaveLength(1);
    expect((await unlockStack(t.workspace, spec.stack, { force: true })).broken).toHaveLength(1);
  });

  it("holds a lease on the stack while its engine runs, and releases it after", async () => {
    const spec = await deployedStatic("own-lease");
    const seen: string[][] = [];
    await upStack(spec, {}, {
      workspace: t.workspace,
      onEvent: () => {
        if (seen.length === 0) seen.push(readdirSync(leaseDir(spec.stack)));
      },
    });
    expect(seen[0]).toEqual([`${os.hostname()}.${process.pid}.json`]);
    expect(await readdir(leaseDir(spec.stack))).toEqual([]);
  });

  it("breaks a lock whose pid now belongs to a process started after the lock was taken", async () => {
    const spec = await deployedStatic("reused-pid");
    // This test's own process is alive, but it started long after this lock was taken: its pid was reused.
    await writeLock(spec.stack, { pid: process.pid, timestamp: new Date(Date.now() - 24 * 3600_000).toISOString() });
    const result = await unlockStack(t.workspace, spec.stack);
    expect(result.broken).toHaveLength(1);
    expect(result.held).toEqual([]);
    expect(await readdir(lockDir(spec.stack))).toEqual([]);
  });

  it("never breaks the lock of a live holder without force, and fails once the lock wait is over", async () => {
    const spec = await deployedStatic("live-holder");
    await writeLock(spec.stack, { pid: process.pid, timestamp: new Date().toISOString() });
    expect((await unlockStack(t.workspace, spec.stack)).held).toHaveLength(1);
    const started = Date.now();
    const error = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 2000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StackLockedError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((error as StackLockedError).message).toContain(`pid ${process.pid}`);
    expect((await unlockStack(t.workspace, spec.stack, { force: true })).broken).toHaveLength(1);
  });

  it("recovers with a plain deploy after the whole deploying process group is killed while the engine holds the lock", async () => {
    const spec = await deployedStatic("killed");
    const source = path.join(t.root, "killed-v2");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), "<h1>second version</h1>");
    const request = path.join(t.root, "request.json");
    await writeFile(
      request,
      JSON.stringify({ project_id: spec.project_id, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source }),
    );
    const deploy = () => spawn(process.execPath, [BIN, "deploy", request, "--workspace", t.workspace.dir], { env: t.env, detached: true, stdio: "ignore" });

    // Killed as soon as the engine holds the stack's lock: a SIGKILL of the CLI and everything in its group.
    const victim = deploy();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await readdir(lockDir(spec.stack)).catch(() => [])).length === 0) await new Promise((r) => setTimeout(r, 50));
    expect((await readdir(lockDir(spec.stack))).length).toBeGreaterThan(0);
    process.kill(-victim.pid!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));

    const started = Date.now();
    const again = spawnSync(process.execPath, [BIN, "deploy", request, "--workspace", t.workspace.dir, "--json"], { env: t.env, encoding: "utf8", timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(45_000);
    const result = JSON.parse(again.stdout);
    expect(result.status).toBe("success");
    expect(await (await fetch(result.url)).text()).toContain("second version");
    // Nothing of the killed engine is left: only the stack's supervisor and its release run under the workspace.
    const left = await processesUnder(t.root);
    const commands = left.map((pid) => spawnSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).stdout.trim());
    expect(commands.filter((c) => /pulumi |dynamic-provider/.test(c))).toEqual([]);
  });
});
