import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveSecrets } from "../../src/secrets";
import { expectFailed, expectResolved, expectSameSecret, secret } from "./helpers";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "secrets-test-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dotenv(name: string, content: string, mode: number): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  await chmod(file, mode);
  return file;
}

describe("env: references", () => {
  it("reads a variable from the environment it is given, not from process.env", async () => {
    const resolution = expectResolved(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "env:STRIPE_KEY_PROD")], { projectId: "pf-1", env: { STRIPE_KEY_PROD: "sk_test_from_env_42" } }),
    );
    expectSameSecret(resolution.secrets[0]?.value, "sk_test_from_env_42");
    expect(resolution.provenance).toEqual([{ name: "STRIPE_SECRET_KEY", scheme: "env", location: "STRIPE_KEY_PROD" }]);
  });

  it("reports an unset or empty variable as the brief's Missing ENV with a fix naming the variable", async () => {
    const unset = expectFailed(await resolveSecrets([secret("STRIPE_SECRET_KEY", "env:STRIPE_SECRET_KEY")], { projectId: "pf-1", env: {} }));
    expect(unset.failure).toEqual({
      status: "error",
      reason: "Missing ENV: STRIPE_SECRET_KEY",
      stage: "env_setup",
      fix_suggestion: "Set STRIPE_SECRET_KEY (Stripe key) in the environment of the process that deploys",
    });
    const empty = expectFailed(await resolveSecrets([secret("APP_SECRET", "env:APP_SECRET_V2")], { projectId: "pf-1", env: { APP_SECRET_V2: "" } }));
    expect(empty.failure.fix_suggestion).toBe("Set APP_SECRET_V2 (read as APP_SECRET) in the environment of the process that deploys");
  });
});

describe("file: references", () => {
  it("reads quoted, exported and multi-line values from a 0600 dotenv file relative to the base directory", async () => {
    await dotenv(
      "prod.env",
      ['# comment', 'export STRIPE_SECRET_KEY=sk_test_in_file_77', 'PEM="-----BEGIN-----\nabc ünï\n-----END-----"', "SINGLE='a b # c'"].join("\n"),
      0o600,
    );
    const resolution = expectResolved(
      await resolveSecrets(
        [secret("STRIPE_SECRET_KEY", "file:prod.env#STRIPE_SECRET_KEY"), secret("PEM", "file:prod.env#PEM"), secret("SINGLE", "file:./prod.env#SINGLE")],
        { projectId: "pf-1", env: {}, baseDir: dir },
      ),
    );
    expectSameSecret(resolution.secrets[0]?.value, "sk_test_in_file_77");
    expectSameSecret(resolution.secrets[1]?.value, "-----BEGIN-----\nabc ünï\n-----END-----");
    expectSameSecret(resolution.secrets[2]?.value, "a b # c");
    expect(resolution.provenance[0]).toEqual({ name: "STRIPE_SECRET_KEY", scheme: "file", location: `${path.join(dir, "prod.env")}#STRIPE_SECRET_KEY` });
  });

  it.each([0o640, 0o604, 0o660, 0o620])("refuses a file with mode %s and says how to fix it", async (mode) => {
    const file = await dotenv("shared.env", "STRIPE_SECRET_KEY=sk_test_should_not_be_read\n", mode);
    const resolution = expectFailed(await resolveSecrets([secret("STRIPE_SECRET_KEY", `file:${file}#STRIPE_SECRET_KEY`)], { projectId: "pf-1", env: {} }));
    expect(resolution.problems[0]?.kind).toBe("insecure_file");
    expect(resolution.failure.reason).toBe(
      `Refusing to read STRIPE_SECRET_KEY from ${file}: the file is accessible by group or others (mode 0${mode.toString(8)})`,
    );
    expect(resolution.failure.fix_suggestion).toContain(`chmod 600 ${file}`);
  });

  it("reports a missing file and a missing key with the file to put the value in", async () => {
    await dotenv("partial.env", "OTHER=1234567\n", 0o600);
    const resolution = expectFailed(
      await resolveSecrets([secret("NOFILE_TOKEN", "file:absent.env#NOFILE_TOKEN"), secret("STRIPE_SECRET_KEY", "file:partial.env#STRIPE_SECRET_KEY")], {
        projectId: "pf-1",
        env: {},
        baseDir: dir,
      }),
    );
    expect(resolution.failure.problems).toEqual(["Missing ENV: NOFILE_TOKEN", "Missing ENV: STRIPE_SECRET_KEY"]);
    expect(resolution.failure.fix_suggestion).toBe(
      `Create ${path.join(dir, "absent.env")} with mode 0600 and a line NOFILE_TOKEN=<value>; Add STRIPE_SECRET_KEY=<Stripe key> to ${path.join(dir, "partial.env")}`,
    );
  });
});

describe("resolveSecrets: every problem at once", () => {
  it("collects bad syntax, missing env, insecure file and unconfigured Vault into one env_setup failure, in spec order", async () => {
    const insecure = await dotenv("open.env", "MAIL_PASSWORD=hunter2hunter2\n", 0o644);
    const resolution = expectFailed(
      await resolveSecrets(
        [
          secret("STRIPE_SECRET_KEY", "vault:#STRIPE_SECRET_KEY"),
          secret("PRESENT", "env:PRESENT"),
          secret("MONGODB_URI", "env:MONGODB_URI"),
          secret("BROKEN", "vault:platform-a/../etc#key"),
          secret("MAIL_PASSWORD", `file:${insecure}#MAIL_PASSWORD`),
          secret("NOT_A_REF", "sk_live_pasted_value_by_mistake"),
          secret("PRESENT", "env:PRESENT"),
        ],
        { projectId: "pf-789", env: { PRESENT: "present-value" } },
      ),
    );
    expect(resolution.problems.map((p) => p.kind)).toEqual(["not_configured", "missing", "bad_reference", "insecure_file", "bad_reference", "duplicate"]);
    expect(resolution.failure.stage).toBe("env_setup");
    expect(resolution.failure.reason).toBe("Missing ENV: STRIPE_SECRET_KEY");
    expect(resolution.failure.problems).toHaveLength(7);
    expect(resolution.failure.problems?.[6]).toBe("Vault is not configured: VAULT_ADDR is not set (needed for STRIPE_SECRET_KEY)");
    expect(resolution.failure.fix_suggestion).toMatch(/^Add Stripe key to Vault under 'pf-789'; /);
    expect(resolution.failure.problems?.[2]).toBe(
      "The reference for BROKEN 'vault:platform-a/../etc#key' is not a valid vault reference (vault:path#key[@version]): the path must be segments separated by single '/', without '.', '..', whitespace, '?', '@', '%' or '\\'",
    );
    // Something that is not a reference may be a value pasted by mistake: it is never echoed.
    expect(JSON.stringify(resolution)).not.toContain("sk_live_pasted_value_by_mistake");
    expect(resolution.failure.problems?.[4]).toBe(
      "The reference for NOT_A_REF is not a secret reference: it must start with env:, file: or vault: (env:NAME, file:path#KEY, vault:path#key[@version])",
    );
    expect(resolution.failure.problems?.[5]).toBe("Secret PRESENT is listed more than once");
    expect(resolution.failure.fix_suggestion).toContain("Set VAULT_ADDR");
    expect(resolution.failure.fix_suggestion).toContain("Set MONGODB_URI (MongoDB connection string) in the environment");
    expect(resolution.failure.fix_suggestion).toContain(`chmod 600 ${insecure}`);
    expect(JSON.stringify(resolution)).not.toContain("present-value");
  });

  it("reports Vault credentials missing when only the address is set", async () => {
    const resolution = expectFailed(
      await resolveSecrets([secret("A_TOKEN", "vault:#A_TOKEN")], { projectId: "p", env: { VAULT_ADDR: "http://127.0.0.1:1", VAULT_ROLE_ID: "role" } }),
    );
    expect(resolution.failure.reason).toBe("Missing ENV: A_TOKEN");
    expect(resolution.failure.problems).toEqual(["Missing ENV: A_TOKEN", "No credentials for Vault at http://127.0.0.1:1: VAULT_SECRET_ID is not set (needed for A_TOKEN)"]);
    expect(resolution.failure.fix_suggestion).toMatch(/^Add A_TOKEN to Vault under 'p'; .*VAULT_SECRET_ID/);
  });

  it("reports secrets Vault would hold as missing in the brief's words when Vault is not configured, saying where each belongs and how to reach Vault once", async () => {
    const resolution = expectFailed(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:#STRIPE_SECRET_KEY"), secret("STRIPE_WEBHOOK_SECRET", "vault:#STRIPE_WEBHOOK_SECRET")], {
        projectId: "platform-a",
        env: {},
      }),
    );
    expect(resolution.failure).toEqual({
      status: "error",
      stage: "env_setup",
      reason: "Missing ENV: STRIPE_SECRET_KEY",
      problems: ["Missing ENV: STRIPE_SECRET_KEY", "Missing ENV: STRIPE_WEBHOOK_SECRET", "Vault is not configured: VAULT_ADDR is not set (needed for STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)"],
      fix_suggestion:
        "Add Stripe key to Vault under 'platform-a'; Add Stripe secret to Vault under 'platform-a'; Set VAULT_ADDR to your Vault's address (e.g. https://vault.example.com:8200) and VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole",
    });
    expect(resolution.problems.map((p) => p.kind)).toEqual(["not_configured", "not_configured"]);
  });

  it("returns an empty success for a spec without secrets", async () => {
    expect(await resolveSecrets([], { projectId: "p", env: {} })).toEqual({ ok: true, secrets: [], provenance: [] });
  });
});
