import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveProcesses } from "../support/processes";
import { serveDatabaseLeftovers } from "../support/database";

const BIN = path.join(__dirname, "..", "..", "bin", "deployment-planner.cjs");

describe("deployment-planner serve", () => {
  let root = "";

  afterAll(async () => {
    if (!root) return;
    // A root-run embedded server keeps its data outside the workspace, named by it.
    const dataDir = path.resolve(root, "workspace", ".deployment-planner");
    for (const leftover of [root, ...serveDatabaseLeftovers(dataDir)]) await rm(leftover, { recursive: true, force: true });
  });

  it("starts the API and a worker on its embedded PostgreSQL, answers, and stops on SIGTERM leaving no process behind", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-serve-"));
    await mkdir(path.join(root, "sources"));
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--source-root", path.join(root, "sources"), "--workspace", path.join(root, "workspace"), "--json"], {
      env: { ...process.env, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 90_000);
      // A start that fails is reported at once, with what serve said, instead of waiting out the timeout.
      child.once("error", (error) => (clearTimeout(timer), reject(error)));
      child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`serve exited (${code}) before listening: ${stderr}${stdout}`))));
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const address = /listening on (http:\/\/[0-9.:]+)/.exec(stderr)?.[1];
        if (address) {
          clearTimeout(timer);
          resolve(address);
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const address = await listening;
    expect(await (await fetch(`${address}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${address}/readyz`)).json()).toEqual({ status: "ready" });
    expect((await fetch(`${address}/v1/deployments`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).toBe(401);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "stopped" });
    const left = (await liveProcesses()).filter((row) => row.args.includes(root) || (row.args.includes("postgres") && row.args.includes(path.basename(root))));
    expect(left).toEqual([]);
  }, 150_000);
});
