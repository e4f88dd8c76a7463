import { describe, expect, it } from "vitest";
import { describeSecretLocation, friendlySecretName, parseSecretReference } from "../../src/secrets";
import { secretRefSchema } from "../../src/planner/spec";

describe("parseSecretReference", () => {
  it.each([
    ["env:STRIPE_SECRET_KEY", { scheme: "env", variable: "STRIPE_SECRET_KEY" }],
    ["file:.env.production#STRIPE_SECRET_KEY", { scheme: "file", path: ".env.production", key: "STRIPE_SECRET_KEY" }],
    ["file:/etc/app/a#b.env#KEY", { scheme: "file", path: "/etc/app/a#b.env", key: "KEY" }],
    ["vault:platform-a/stripe#secret_key", { scheme: "vault", path: "platform-a/stripe", key: "secret_key" }],
    ["vault:platform-a/stripe#secret_key@3", { scheme: "vault", path: "platform-a/stripe", key: "secret_key", version: 3 }],
    ["vault:pf-789#STRIPE_SECRET_KEY", { scheme: "vault", path: "pf-789", key: "STRIPE_SECRET_KEY" }],
    ["vault:#STRIPE_SECRET_KEY", { scheme: "vault", path: "pf-789", key: "STRIPE_SECRET_KEY" }],
    ["vault:team.a/app_1#key-with.dots", { scheme: "vault", path: "team.a/app_1", key: "key-with.dots" }],
  ])("parses %s", (ref, expected) => {
    expect(parseSecretReference(ref, "pf-789")).toEqual({ ok: true, reference: expected });
    // Everything this parser accepts, the planner's schema accepts too.
    expect(secretRefSchema.safeParse(ref).success).toBe(true);
  });

  it.each([
    ["env:1BAD", /env variable name|environment variable name/],
    ["env:", /environment variable name/],
    ["file:prod.env", /names no key/],
    ["file:#KEY", /names no file/],
    ["file:prod.env#bad-key", /variable name/],
    ["vault:platform-a", /names no key/],
    ["vault:platform-a#", /key after '#' is empty/],
    ["vault:platform-a#key@0", /positive whole number/],
    ["vault:platform-a#key@latest", /positive whole number/],
    ["vault:/abs#key", /segments separated/],
    ["vault:a//b#key", /segments separated/],
    ["vault:a/../b#key", /segments separated/],
    ["vault:a/b?x=1#key", /segments separated/],
  ])("rejects %s", (ref, message) => {
    const parsed = parseSecretReference(ref, "pf-789");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(message);
      expect(parsed.error).toContain(`'${ref}'`);
    }
  });

  it("does not quote something without a known scheme, which may be a pasted value", () => {
    const parsed = parseSecretReference("sk_live_abcdef123456", "p");
    expect(parsed).toEqual({ ok: false, error: expect.not.stringContaining("sk_live") });
  });
});

describe("describeSecretLocation", () => {
  it("says where each kind of reference is expected, following VAULT_KV_MOUNT and the project's default path", () => {
    expect(describeSecretLocation("vault:#STRIPE_SECRET_KEY", "pf-789", { env: {} })).toEqual({
      valid: true,
      scheme: "vault",
      location: "secret/pf-789#STRIPE_SECRET_KEY",
      description: "Vault KV v2 secret 'secret/pf-789', key 'STRIPE_SECRET_KEY' (latest version)",
    });
    expect(describeSecretLocation("vault:platform-a/stripe#secret_key@4", "pf-789", { env: { VAULT_KV_MOUNT: "/kv/" } })).toEqual({
      valid: true,
      scheme: "vault",
      location: "kv/platform-a/stripe#secret_key",
      version: 4,
      description: "Vault KV v2 secret 'kv/platform-a/stripe', key 'secret_key' (version 4)",
    });
    expect(describeSecretLocation("env:MONGODB_URI", "p")).toMatchObject({ valid: true, scheme: "env", location: "MONGODB_URI" });
    expect(describeSecretLocation("file:prod.env#KEY", "p", { baseDir: "/srv/app" })).toMatchObject({
      valid: true,
      location: "/srv/app/prod.env#KEY",
      description: "key KEY of dotenv file /srv/app/prod.env (mode 0600)",
    });
    expect(describeSecretLocation("vault:nokey", "p")).toMatchObject({ valid: false, error: expect.stringContaining("names no key") });
  });
});

describe("friendlySecretName", () => {
  it.each([
    ["STRIPE_SECRET_KEY", "Stripe key"],
    ["STRIPE_WEBHOOK_SECRET", "Stripe secret"],
    ["MONGODB_URI", "MongoDB connection string"],
    ["GITHUB_TOKEN", "GitHub token"],
    ["OPENAI_API_KEY", "OpenAI key"],
    ["STRIPE_PUBLISHABLE", "Stripe STRIPE_PUBLISHABLE"],
    ["MY_CUSTOM_THING", "MY_CUSTOM_THING"],
    ["PGPASSWORD", "PGPASSWORD"],
  ])("%s reads as %s", (name, expected) => {
    expect(friendlySecretName(name)).toBe(expected);
  });
});
