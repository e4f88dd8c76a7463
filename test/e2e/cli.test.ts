import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FALLBACK_LANGUAGE_HOST_VERSION, PULUMI_VERSION } from "../../src/toolchain/pulumi";
import { TEST_PASSPHRASE } from "../support/engine";
import { filesContaining, processesUnder } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

describe("the deployment-planner CLI end to end", () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const secret = `cli-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const runs: Run[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-cli-"));
    env = {
      ...process.env,
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
      PULUMI_BACKEND_URL: "",
      DEMO_API_TOKEN: secret,
    };
    delete env.PULUMI_BACKEND_URL;
  });

  afterAll(async () => {
    await cli(["destroy", "example-api", "development", "--remove", "--workspace", path.join(root, "ws")], env);
    await rm(root, { recursive: true, force: true });
  });

  it("deploys the Node example, prints one JSON object with its URL, and the app sees its env var and secret", async () => {
    const run = await cli(["deploy", "examples/requests/local-node-server.json", "--workspace", path.join(root, "ws"), "--json"], env);
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: "success", deployed_to: "local", env_configured: true, stack: "example-api.development" });
    expect(result.secrets).toEqual([{ name: "API_TOKEN", scheme: "env", location: "DEMO_API_TOKEN" }]);
    const body = await (await fetch(result.url)).text();
    expect(body).toContain("hello");
    expect(body).toContain(`api_token_length=${secret.length}`);
    expect(run.stderr).toMatch(/\+ pulumi-nodejs:dynamic\/local:Release app-release create/);
  });

  it("lists the update in history and shows the outputs", async () => {
    const history = await cli(["history", "example-api", "development", "--workspace", path.join(root, "ws"), "--json"], env);
    runs.push(history);
    expect(history.code, history.stderr).toBe(0);
    const updates = JSON.parse(history.stdout).updates;
    expect(updates[0]).toMatchObject({ version: 1, kind: "update", result: "succeeded", deployer: "user_129", versionName: "v1" });
    expect(updates[0].artifactDigest).toMatch(/^sha256:/);
    const outputs = await cli(["outputs", "example-api", "development", "--workspace", path.join(root, "ws"), "--json"], env);
    runs.push(outputs);
    expect(JSON.parse(outputs.stdout).outputs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("reports the toolchain, backend, secrets provider and credentials by name in doctor", async () => {
    const run = await cli(["doctor", "--workspace", path.join(root, "ws"), "--json"], { ...env, VERCEL_API_TOKEN: "doctor-token-value" });
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.pulumi).toMatchObject({ version: PULUMI_VERSION, pinned_version: PULUMI_VERSION });
    // Where the release's own language host cannot be had, the fallback built from source serves directory programs.
    const host = report.pulumi.language_host;
    expect(host.path).toMatch(/pulumi-language-nodejs$/);
    expect(host.version).toBe(host.origin === "built_fallback" ? FALLBACK_LANGUAGE_HOST_VERSION : PULUMI_VERSION);
    expect(["release", "built_fallback"]).toContain(host.origin);
    expect(report.backend).toBe(`file://${path.join(root, "ws", ".pulumi-state")}`);
    expect(report.secrets_provider).toEqual({ kind: "passphrase", source: "PULUMI_CONFIG_PASSPHRASE" });
    expect(report.targets.find((t: { target: string }) => t.target === "vercel")).toEqual({
      target: "vercel",
      ready: true,
      credentials: [{ name: "VERCEL_API_TOKEN", present: true }],
    });
    expect(run.stdout).not.toContain("doctor-token-value");
  });

  it("rejects a bad stack argument with a validation error and exit code 2", async () => {
    const run = await cli(["history", "../etc", "production", "--json"], env);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "error", stage: "validation" });
  });

  it("destroys the stack, leaving no process, and the secret was never written or printed", async () => {
    const run = await cli(["destroy", "example-api", "development", "--workspace", path.join(root, "ws"), "--json"], env);
    runs.push(run);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "destroyed", stack: "example-api.development" });
    expect(await processesUnder(path.join(root, "ws"))).toEqual([]);
    for (const r of runs) {
      expect(r.stdout.includes(secret)).toBe(false);
      expect(r.stderr.includes(secret)).toBe(false);
    }
    expect(await filesContaining(root, secret)).toEqual([]);
  });
});
