import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../src/ports";
import { runsAsRoot } from "../../src/service/postgres-runtime";
import { liveProcesses } from "../support/processes";
import { startServeProcess } from "../support/serve-process";
import { serveDatabaseLeftovers } from "../support/database";

const BIN = path.join(__dirname, "..", "..", "bin", "deployment-planner.cjs");

/** Runs `serve` until it exits (bounded); its exit code, output and how long it ran. */
function serveUntilExit(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

describe("serve fails fast with its reason", () => {
  const leftovers: string[] = [];
  afterAll(async () => {
    for (const leftover of leftovers) await rm(leftover, { recursive: true, force: true });
  });

  it("when its port is taken: the reason and the fix, its embedded database stopped again", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "dp-serve-port-"));
    const workspace = path.join(root, "workspace");
    const dataDir = path.join(workspace, ".deployment-planner");
    const outside = serveDatabaseLeftovers(dataDir);
    const hashed = outside[0]!;
    leftovers.push(root, ...outside);
    const port = await freeLoopbackPort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const result = await serveUntilExit(["--port", String(port), "--workspace", workspace], { ...process.env, DATABASE_URL: "" });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toContain(`error (env_setup): the service cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
      expect(result.stdout).toContain("fix: Pass another --port (0 picks a free one)");
      expect(result.seconds).toBeLessThan(60);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    const left = (await liveProcesses()).filter((row) => row.args.includes("postgres") && (row.args.includes(root) || row.args.includes(hashed)));
    expect(left).toEqual([]);
  });

  it("after a serve is killed (SIGKILL), the next one stops the database it left, starts its own, and leaves no process when stopped", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "dp-serve-killed-"));
    const workspace = path.join(root, "workspace");
    const outside = serveDatabaseLeftovers(path.join(workspace, ".deployment-planner"));
    const hashed = outside[0]!;
    leftovers.push(root, ...outside);
    const databaseOf = async () => (await liveProcesses()).filter((row) => /postgres -D/.test(row.args) && (row.args.includes(root) || row.args.includes(hashed)));
    const env = { ...process.env, DATABASE_URL: "" };

    const first = await startServeProcess(["--workspace", workspace], env);
    first.child.kill("SIGKILL");
    await first.exited;
    const orphaned = await databaseOf();
    expect(orphaned).toHaveLength(1);

    const second = await startServeProcess(["--workspace", workspace], env);
    try {
      expect((await fetch(`${second.address}/readyz`)).status).toBe(200);
      expect((await databaseOf()).map((row) => row.pid)).not.toContain(orphaned[0]!.pid);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(await databaseOf()).toEqual([]);
  });

  it.runIf(runsAsRoot())("run as root with its database directory where PostgreSQL's account cannot go: within seconds, saying why and what to do", async () => {
    const closed = await mkdtemp(path.join(os.tmpdir(), "dp-serve-closed-"));
    leftovers.push(closed);
    await chmod(closed, 0o700);
    const result = await serveUntilExit(["--port", "0", "--workspace", path.join(closed, "workspace")], {
      ...process.env,
      DATABASE_URL: "",
      DEPLOYMENT_PLANNER_POSTGRES_DIR: path.join(closed, "postgres"),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toContain(`error (env_setup): the 'postgres' account that runs the embedded PostgreSQL cannot enter ${closed} (mode 0700)`);
    expect(result.stdout).toContain("fix: Set DEPLOYMENT_PLANNER_POSTGRES_DIR to a directory every user can traverse");
    expect(result.stderr).not.toContain("    at ");
    expect(result.seconds).toBeLessThan(15);
  });
});
