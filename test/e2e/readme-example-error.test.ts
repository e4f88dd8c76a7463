import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultDevServer, type VaultDevServer } from "../support/vault";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** The README's example of a missing secret: its shell block (an `export` line and a command) and the JSON it quotes. */
async function readmeExample(): Promise<{ exported: string[]; argv: string[]; quoted: unknown }> {
  const readme = await readFile(path.join(REPO, "README.md"), "utf8");
  const at = readme.indexOf("deploy examples/requests/brief-missing-secret.json");
  expect(at, "the README's example command").toBeGreaterThan(0);
  const shellStart = readme.lastIndexOf("```sh", at);
  const shell = readme.slice(shellStart, readme.indexOf("```", at)).split("\n").slice(1).map((line) => line.replace(/#.*$/, "").trim()).filter(Boolean);
  const exportLine = shell.find((line) => line.startsWith("export "));
  const command = shell.find((line) => line.startsWith("npx deployment-planner "));
  const jsonStart = readme.indexOf("```json", at);
  const quoted = JSON.parse(readme.slice(readme.indexOf("\n", jsonStart), readme.indexOf("```", jsonStart + 7)));
  return {
    exported: (exportLine ?? "").replace(/^export /, "").split(/\s+/).map((pair) => pair.split("=")[0]!),
    argv: command!.replace(/^npx deployment-planner /, "").split(/\s+/),
    quoted,
  };
}

function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI did not finish within 60 s: ${stderr}`));
    }, 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("the README's example error, from the request it names", () => {
  let vault: VaultDevServer;
  let cwd: string;

  beforeAll(async () => {
    vault = await startVaultDevServer();
    // The README's command, run as written from a checkout: the request path is relative to the current directory,
    // which is also the workspace; a fresh directory with the examples linked keeps the checkout clean.
    cwd = await mkdtemp(path.join(os.tmpdir(), "dp-readme-error-"));
    await symlink(path.join(REPO, "examples"), path.join(cwd, "examples"));
  });

  afterAll(async () => {
    await vault?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  it("prints exactly the quoted failure with a Vault that holds platform-a's webhook secret but not its Stripe key, before any engine runs", async () => {
    const { exported, argv, quoted } = await readmeExample();
    expect(exported).toEqual(["VAULT_ADDR", "VAULT_TOKEN"]);
    expect(quoted).toEqual({
      status: "error",
      reason: "Missing ENV: STRIPE_SECRET_KEY",
      stage: "env_setup",
      fix_suggestion: "Add Stripe key to Vault under 'platform-a'",
    });
    await vault.putSecret("platform-a", { STRIPE_WEBHOOK_SECRET: "whsec_readme_example_value" });

    const run = await cli(argv, cwd, { PATH: process.env.PATH, HOME: cwd, ...vault.clientEnv() });
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual(quoted);
    expect(run.stdout + run.stderr).not.toContain("whsec_readme_example_value");
    // Nothing was deployed: no state backend, only the audit record of the failed attempt.
    expect((await readdir(cwd)).sort()).toEqual([".deployment-planner", "examples"]);
  });

  it("without Vault configured, still says the key is missing and where in Vault it belongs, then how to reach Vault", async () => {
    const { argv } = await readmeExample();
    const run = await cli(argv, cwd, { PATH: process.env.PATH, HOME: cwd });
    expect(run.code, run.stderr).toBe(2);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: "error", stage: "env_setup", reason: "Missing ENV: STRIPE_SECRET_KEY" });
    expect(result.fix_suggestion).toMatch(/^Add Stripe key to Vault under 'platform-a'; Add Stripe secret to Vault under 'platform-a'; Set VAULT_ADDR /);
    expect(result.problems).toEqual([
      "Missing ENV: STRIPE_SECRET_KEY",
      "Missing ENV: STRIPE_WEBHOOK_SECRET",
      "Vault is not configured: VAULT_ADDR is not set (needed for STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)",
    ]);
  });
});
