import { readdir, readFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preDeploymentChecks } from "../../src/automation/release/checks";
import { planAndDeploy } from "../../src/automation/index";
import { plan } from "../../src/planner/index";
import { isFailure } from "../../src/outcome";
import { startVaultDevServer, type VaultDevServer } from "../support/vault";

const REPO = path.resolve(__dirname, "..", "..");

async function briefRequest(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(REPO, "examples", "requests", "brief-cloud-saas.json"), "utf8"));
}

describe("pre-deployment checks against a real Vault (OpenBao dev server)", () => {
  let vault: VaultDevServer;
  let root: string;

  beforeAll(async () => {
    vault = await startVaultDevServer();
    root = await mkdtemp(path.join(os.tmpdir(), "dp-checks-"));
  });

  afterAll(async () => {
    await vault?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it("fails the brief's sample input with exactly the brief's failure object, before any engine process starts", async () => {
    // Everything is in place but the Stripe key: the other secrets in Vault, a Vercel token in the environment.
    await vault.putSecret("pf-789", { MONGODB_URI: "mongodb://db.example:27017/app", STRIPE_WEBHOOK_SECRET: "whsec_example_value" });
    const request = { ...(await briefRequest()), secrets: { STRIPE_SECRET_KEY: "vault:platform-a#STRIPE_SECRET_KEY" } };
    const workspaceDir = path.join(root, "workspace");
    const env = { ...vault.clientEnv(), VERCEL_API_TOKEN: "token-for-checks-only", PATH: "/usr/bin:/bin" };

    const result = await planAndDeploy(request, { workspaceDir, env });

    expect(result).toEqual({
      status: "error",
      reason: "Missing ENV: STRIPE_SECRET_KEY",
      stage: "env_setup",
      fix_suggestion: "Add Stripe key to Vault under 'platform-a'",
    });
    // No engine ran: no state backend, no stack file, only the audit record of the failed attempt.
    const entries = await readdir(workspaceDir).catch(() => [] as string[]);
    expect(entries).toEqual([".deployment-planner"]);
    const audit = await readFile(path.join(workspaceDir, ".deployment-planner", "audit.log"), "utf8");
    expect(JSON.parse(audit.trim())).toMatchObject({ action: "deploy", stack: "pf-789.production", status: "error", stage: "env_setup" });
  });

  it("passes the checks once the key is in Vault, with provenance and no values", async () => {
    await vault.putSecret("platform-a", { STRIPE_SECRET_KEY: "sk_test_brief_example_value" });
    const planned = plan({ ...(await briefRequest()), secrets: { STRIPE_SECRET_KEY: "vault:platform-a#STRIPE_SECRET_KEY" } });
    if (planned.status !== "planned") throw new Error(JSON.stringify(planned));
    const checked = await preDeploymentChecks(planned.spec, { env: { ...vault.clientEnv(), VERCEL_API_TOKEN: "token-for-checks-only" } });
    if (isFailure(checked)) throw new Error(checked.reason);
    expect(checked.provenance.map((p) => [p.name, p.scheme, p.location])).toEqual([
      ["MONGODB_URI", "vault", "secret/pf-789#MONGODB_URI"],
      ["STRIPE_SECRET_KEY", "vault", "secret/platform-a#STRIPE_SECRET_KEY"],
      ["STRIPE_WEBHOOK_SECRET", "vault", "secret/pf-789#STRIPE_WEBHOOK_SECRET"],
    ]);
    expect(JSON.stringify(checked.provenance)).not.toContain("sk_test_brief_example_value");
  });

  it("reports missing secrets and missing target credentials in one failure", async () => {
    const planned = plan(await briefRequest());
    if (planned.status !== "planned") throw new Error(JSON.stringify(planned));
    const checked = await preDeploymentChecks(planned.spec, { env: { PATH: "/usr/bin:/bin" } });
    expect(checked).toMatchObject({ status: "error", stage: "env_setup" });
    const problems = (checked as unknown as { problems: string[] }).problems;
    expect(problems.some((p) => p.includes("VERCEL_API_TOKEN"))).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });
});
