import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveSecrets } from "../../src/secrets";
import { startVaultDevServer, type VaultDevServer } from "../support/vault";
import { expectFailed, expectResolved, expectSameSecret, secret } from "./helpers";

// Every case here talks to a real OpenBao server (the Vault-compatible fork) in dev mode on loopback.
let vault: VaultDevServer;

beforeAll(async () => {
  vault = await startVaultDevServer();
});

afterAll(async () => {
  await vault?.stop();
});

describe("vault: references against a real OpenBao server", () => {
  it("reads the latest version and a pinned earlier version of a key, with provenance and no value in it", async () => {
    const first = await vault.putSecret("pf-100", { STRIPE_SECRET_KEY: "sk_test_first_version_0001" });
    const second = await vault.putSecret("pf-100", { STRIPE_SECRET_KEY: "sk_test_second_version_002" });
    expect(second).toBe(first + 1);

    const resolution = expectResolved(
      await resolveSecrets(
        [secret("STRIPE_SECRET_KEY", "vault:pf-100#STRIPE_SECRET_KEY"), secret("STRIPE_OLD_KEY", `vault:pf-100#STRIPE_SECRET_KEY@${first}`)],
        { projectId: "pf-100", env: vault.clientEnv() },
      ),
    );
    const [latest, pinned] = resolution.secrets;
    expectSameSecret(latest?.value, "sk_test_second_version_002");
    expectSameSecret(pinned?.value, "sk_test_first_version_0001");
    expect(resolution.provenance).toEqual([
      { name: "STRIPE_SECRET_KEY", scheme: "vault", location: "secret/pf-100#STRIPE_SECRET_KEY", version: second },
      { name: "STRIPE_OLD_KEY", scheme: "vault", location: "secret/pf-100#STRIPE_SECRET_KEY", version: first },
    ]);
    expect(JSON.stringify(resolution.provenance)).not.toMatch(/sk_test/);
  });

  it("reads the short form vault:#KEY from the project's own path", async () => {
    await vault.putSecret("pf-short", { MONGODB_URI: "mongodb://user:pw@db.internal:27017/app" });
    const resolution = expectResolved(await resolveSecrets([secret("MONGODB_URI", "vault:#MONGODB_URI")], { projectId: "pf-short", env: vault.clientEnv() }));
    expectSameSecret(resolution.secrets[0]?.value, "mongodb://user:pw@db.internal:27017/app");
    expect(resolution.provenance[0]?.location).toBe("secret/pf-short#MONGODB_URI");
  });

  it("reads a key of a nested path whose name differs from the variable", async () => {
    await vault.putSecret("platform-b/stripe", { secret_key: "sk_test_nested_path_value" });
    const resolution = expectResolved(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:platform-b/stripe#secret_key")], { projectId: "pf-1", env: vault.clientEnv() }),
    );
    expectSameSecret(resolution.secrets[0]?.value, "sk_test_nested_path_value");
    expect(resolution.provenance[0]).toMatchObject({ location: "secret/platform-b/stripe#secret_key", version: 1 });
  });

  it("keeps a value with newlines, unicode and JSON-significant characters intact", async () => {
    const value = "-----BEGIN KEY-----\nline one ✓ ünïcødé 日本語 🔑\n\t\"quoted\" \\ back\\slash\r\nlast line\n";
    await vault.putSecret("pf-unicode", { PRIVATE_KEY: value });
    const resolution = expectResolved(await resolveSecrets([secret("PRIVATE_KEY", "vault:pf-unicode#PRIVATE_KEY")], { projectId: "x", env: vault.clientEnv() }));
    expectSameSecret(resolution.secrets[0]?.value, value);
  });

  it("reproduces the brief's failure object exactly when the Stripe key is nowhere in Vault", async () => {
    const resolution = expectFailed(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:platform-a#STRIPE_SECRET_KEY")], { projectId: "pf-789", env: vault.clientEnv() }),
    );
    expect(resolution.failure).toEqual({
      status: "error",
      reason: "Missing ENV: STRIPE_SECRET_KEY",
      stage: "env_setup",
      fix_suggestion: "Add Stripe key to Vault under 'platform-a'",
    });
    expect(resolution.problems.map((p) => p.kind)).toEqual(["missing"]);

    await vault.putSecret("platform-a", { STRIPE_SECRET_KEY: "sk_test_now_present_123" });
    const fixed = expectResolved(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:platform-a#STRIPE_SECRET_KEY")], { projectId: "pf-789", env: vault.clientEnv() }),
    );
    expect(fixed.provenance).toEqual([{ name: "STRIPE_SECRET_KEY", scheme: "vault", location: "secret/platform-a#STRIPE_SECRET_KEY", version: 1 }]);
  });

  it("reports a missing path and a missing key of an existing path, each naming where to add the value", async () => {
    await vault.putSecret("pf-keys", { OTHER: "present-value" });
    const resolution = expectFailed(
      await resolveSecrets(
        [secret("STRIPE_SECRET_KEY", "vault:pf-nothing-here#STRIPE_SECRET_KEY"), secret("SENDGRID_API_KEY", "vault:pf-keys#sendgrid")],
        { projectId: "pf-keys", env: vault.clientEnv() },
      ),
    );
    expect(resolution.failure.reason).toBe("Missing ENV: STRIPE_SECRET_KEY");
    expect(resolution.failure.problems).toEqual(["Missing ENV: STRIPE_SECRET_KEY", "Missing ENV: SENDGRID_API_KEY"]);
    expect(resolution.failure.fix_suggestion).toBe(
      "Add Stripe key to Vault under 'pf-nothing-here'; Add SendGrid key to Vault under 'pf-keys' as 'sendgrid'",
    );
  });

  it("says a pinned version was deleted rather than asking to add the key again", async () => {
    await vault.putSecret("pf-deleted", { TOKEN_A: "value-version-one" });
    await vault.putSecret("pf-deleted", { TOKEN_A: "value-version-two" });
    const deleted = await vault.api("POST", "/v1/secret/delete/pf-deleted", { versions: [1] });
    expect(deleted.status).toBe(204);
    const resolution = expectFailed(await resolveSecrets([secret("TOKEN_A", "vault:pf-deleted#TOKEN_A@1")], { projectId: "x", env: vault.clientEnv() }));
    expect(resolution.failure.reason).toBe("Missing ENV: TOKEN_A");
    expect(resolution.failure.fix_suggestion).toMatch(/^Version 1 of 'pf-deleted' in Vault was deleted or destroyed; .*drop '@1'/);
    const missingVersion = expectFailed(await resolveSecrets([secret("TOKEN_A", "vault:pf-deleted#TOKEN_A@9")], { projectId: "x", env: vault.clientEnv() }));
    expect(missingVersion.failure.fix_suggestion).toMatch(/^Version 9 of 'pf-deleted' in Vault does not exist/);
  });

  it("reports permission denied for a token whose policy does not cover the path, and reads what it does cover", async () => {
    await vault.putSecret("team-allowed/app", { API_TOKEN: "allowed-value-1234" });
    await vault.putSecret("team-denied/app", { API_TOKEN: "denied-value-5678" });
    await vault.putPolicy("read-team-allowed", 'path "secret/data/team-allowed/*" { capabilities = ["read"] }');
    const token = await vault.createToken(["read-team-allowed"]);

    const allowed = expectResolved(await resolveSecrets([secret("API_TOKEN", "vault:team-allowed/app#API_TOKEN")], { projectId: "x", env: vault.clientEnv(token) }));
    expectSameSecret(allowed.secrets[0]?.value, "allowed-value-1234");

    const denied = expectFailed(await resolveSecrets([secret("API_TOKEN", "vault:team-denied/app#API_TOKEN")], { projectId: "x", env: vault.clientEnv(token) }));
    expect(denied.problems[0]?.kind).toBe("permission_denied");
    expect(denied.failure).toMatchObject({
      stage: "env_setup",
      reason: "Permission denied reading API_TOKEN from Vault at secret/team-denied/app",
    });
    expect(denied.failure.fix_suggestion).toContain('"read" on "secret/data/team-denied/app"');
  });

  it("logs in with AppRole and reads with the token it gets; a wrong secret ID is one auth_failed problem", async () => {
    await vault.putSecret("pf-approle", { DATABASE_URL: "postgres://app:pw@db:5432/app", REDIS_URL: "redis://cache:6379" });
    await vault.putPolicy("read-pf-approle", 'path "secret/data/pf-approle" { capabilities = ["read"] }');
    const { roleId, secretId } = await vault.createAppRole("deployer", ["read-pf-approle"]);
    const env = { VAULT_ADDR: vault.address, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId };
    const secrets = [secret("DATABASE_URL", "vault:#DATABASE_URL"), secret("REDIS_URL", "vault:#REDIS_URL")];

    const resolution = expectResolved(await resolveSecrets(secrets, { projectId: "pf-approle", env }));
    expectSameSecret(resolution.secrets[0]?.value, "postgres://app:pw@db:5432/app");
    expectSameSecret(resolution.secrets[1]?.value, "redis://cache:6379");

    const rejected = expectFailed(await resolveSecrets(secrets, { projectId: "pf-approle", env: { ...env, VAULT_SECRET_ID: "00000000-0000-0000-0000-000000000000" } }));
    expect(rejected.problems).toHaveLength(1);
    expect(rejected.problems[0]).toMatchObject({ kind: "auth_failed", names: ["DATABASE_URL", "REDIS_URL"] });
    expect(rejected.failure.problems).toBeUndefined();
    expect(rejected.failure.reason).toMatch(/^Vault AppRole login at .* was rejected: .*\(needed for DATABASE_URL, REDIS_URL\)$/);
    expect(rejected.failure.reason).not.toContain(secretId);
  });

  it("reads from a non-default KV v2 mount named by VAULT_KV_MOUNT", async () => {
    const mounted = await vault.api("POST", "/v1/sys/mounts/apps", { type: "kv", options: { version: "2" } });
    expect(mounted.status).toBe(204);
    await vault.putSecret("pf-mount", { OPENAI_API_KEY: "sk-test-in-apps-mount" }, "apps");
    const resolution = expectResolved(
      await resolveSecrets([secret("OPENAI_API_KEY", "vault:pf-mount#OPENAI_API_KEY")], { projectId: "x", env: { ...vault.clientEnv(), VAULT_KV_MOUNT: "apps" } }),
    );
    expectSameSecret(resolution.secrets[0]?.value, "sk-test-in-apps-mount");
    expect(resolution.provenance[0]?.location).toBe("apps/pf-mount#OPENAI_API_KEY");

    const missing = expectFailed(
      await resolveSecrets([secret("OPENAI_API_KEY", "vault:pf-other#OPENAI_API_KEY")], { projectId: "x", env: { ...vault.clientEnv(), VAULT_KV_MOUNT: "apps" } }),
    );
    expect(missing.failure.fix_suggestion).toBe("Add OpenAI key to Vault under 'apps/pf-other'");
  });

  it("reads inside a namespace named by VAULT_NAMESPACE", async () => {
    const created = await vault.api("POST", "/v1/sys/namespaces/team-a", {});
    expect([200, 204]).toContain(created.status);
    const mounted = await vault.api("POST", "/v1/team-a/sys/mounts/secret", { type: "kv", options: { version: "2" } });
    expect(mounted.status).toBe(204);
    const written = await vault.api("POST", "/v1/team-a/secret/data/pf-ns", { data: { SLACK_TOKEN: "xoxb-namespaced-value" } });
    expect(written.status).toBe(200);

    const env = { ...vault.clientEnv(), VAULT_NAMESPACE: "team-a" };
    const resolution = expectResolved(await resolveSecrets([secret("SLACK_TOKEN", "vault:pf-ns#SLACK_TOKEN")], { projectId: "x", env }));
    expectSameSecret(resolution.secrets[0]?.value, "xoxb-namespaced-value");
    expect(resolution.provenance[0]).toMatchObject({ namespace: "team-a", location: "secret/pf-ns#SLACK_TOKEN" });

    // Outside the namespace the same path holds nothing.
    const outside = expectFailed(await resolveSecrets([secret("SLACK_TOKEN", "vault:pf-ns#SLACK_TOKEN")], { projectId: "x", env: vault.clientEnv() }));
    expect(outside.problems[0]?.kind).toBe("missing");
  });
});

describe("vault: TLS with a custom CA", () => {
  let tlsVault: VaultDevServer;
  beforeAll(async () => {
    tlsVault = await startVaultDevServer({ tls: true });
  });
  afterAll(async () => {
    await tlsVault?.stop();
  });

  it("trusts the server through VAULT_CACERT, and refuses it without", async () => {
    await tlsVault.putSecret("pf-tls", { GITHUB_TOKEN: "ghp_test_over_tls_0001" });
    const env = tlsVault.clientEnv();
    expect(env.VAULT_CACERT).toBeTruthy();
    const resolution = expectResolved(await resolveSecrets([secret("GITHUB_TOKEN", "vault:pf-tls#GITHUB_TOKEN")], { projectId: "x", env }));
    expectSameSecret(resolution.secrets[0]?.value, "ghp_test_over_tls_0001");

    const { VAULT_CACERT: _dropped, ...withoutCa } = env;
    const untrusted = expectFailed(
      await resolveSecrets([secret("GITHUB_TOKEN", "vault:pf-tls#GITHUB_TOKEN")], { projectId: "x", env: { ...withoutCa, VAULT_MAX_RETRIES: "0" } }),
    );
    expect(untrusted.problems[0]?.kind).toBe("unreachable");
    expect(untrusted.failure.reason).toMatch(/certificate/i);
  });
});

describe("vault: server down", () => {
  it("fails with one env_setup problem within a bounded time when nothing listens on VAULT_ADDR", async () => {
    const gone = await startVaultDevServer();
    const env = gone.clientEnv();
    await gone.stop();

    const started = Date.now();
    const resolution = expectFailed(
      await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:#STRIPE_SECRET_KEY"), secret("MONGODB_URI", "vault:#MONGODB_URI")], { projectId: "pf-789", env }),
    );
    const elapsed = Date.now() - started;
    // Default budget: 3 attempts, 250 ms + 500 ms backoff; a refused connection fails at once.
    expect(elapsed).toBeLessThan(3_000);
    expect(resolution.failure.stage).toBe("env_setup");
    expect(resolution.problems).toHaveLength(1);
    expect(resolution.problems[0]).toMatchObject({ kind: "unreachable", names: ["STRIPE_SECRET_KEY", "MONGODB_URI"] });
    expect(resolution.failure.reason).toMatch(new RegExp(`^Vault at ${env.VAULT_ADDR} is unreachable \\(connect ECONNREFUSED .*\\) after 3 attempts in`));
    expect(resolution.failure.fix_suggestion).toContain(`reachable at ${env.VAULT_ADDR}`);
  });

  it("gives up on a server that accepts connections but never answers, within timeout × attempts", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const resolution = expectFailed(
        await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:#STRIPE_SECRET_KEY")], {
          projectId: "pf-789",
          env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: "irrelevant", VAULT_CLIENT_TIMEOUT: "400ms", VAULT_MAX_RETRIES: "1" },
        }),
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(800);
      expect(elapsed).toBeLessThan(2_500);
      expect(resolution.problems[0]?.kind).toBe("unreachable");
      expect(resolution.failure.reason).toContain("no answer within 400 ms");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("stops waiting when the caller's signal fires", async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const resolution = expectFailed(
        await resolveSecrets([secret("STRIPE_SECRET_KEY", "vault:#STRIPE_SECRET_KEY")], {
          projectId: "pf-789",
          env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: "irrelevant" },
          signal: AbortSignal.timeout(300),
        }),
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(resolution.problems[0]?.kind).toBe("cancelled");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("vault: retries on 429 and 5xx", () => {
  // Real Vault cannot be made to answer 429 or 503 on cue, so a scripted HTTP server plays a rate-limited, then
  // sealed, then healthy Vault; it answers the documented KV v2 read shape.
  async function scriptedServer(statuses: number[]) {
    let requests = 0;
    const server = http.createServer((request, response) => {
      const status = statuses[Math.min(requests, statuses.length - 1)]!;
      requests += 1;
      response.setHeader("Content-Type", "application/json");
      if (status !== 200) {
        response.statusCode = status;
        if (status === 429) response.setHeader("Retry-After", "0");
        return response.end(JSON.stringify({ errors: [status === 503 ? "Vault is sealed" : "rate limit quota exceeded"] }));
      }
      expect(request.url).toBe("/v1/secret/data/pf-retry");
      response.end(JSON.stringify({ data: { data: { API_TOKEN: "after-retries-value" }, metadata: { version: 7 } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { env: { VAULT_ADDR: `http://127.0.0.1:${port}`, VAULT_TOKEN: "t" }, count: () => requests, close: () => new Promise((r) => server.close(r)) };
  }

  it("retries a 429 and a 503 and then reads the value", async () => {
    const server = await scriptedServer([429, 503, 200]);
    try {
      const resolution = expectResolved(await resolveSecrets([secret("API_TOKEN", "vault:pf-retry#API_TOKEN")], { projectId: "x", env: server.env }));
      expectSameSecret(resolution.secrets[0]?.value, "after-retries-value");
      expect(resolution.provenance[0]?.version).toBe(7);
      expect(server.count()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it("gives up after VAULT_MAX_RETRIES and reports Vault's own error", async () => {
    const server = await scriptedServer([503]);
    try {
      const resolution = expectFailed(
        await resolveSecrets([secret("API_TOKEN", "vault:pf-retry#API_TOKEN")], { projectId: "x", env: { ...server.env, VAULT_MAX_RETRIES: "3" } }),
      );
      expect(server.count()).toBe(4);
      expect(resolution.problems[0]?.kind).toBe("unreachable");
      expect(resolution.failure.reason).toMatch(/is unreachable \(HTTP 503: Vault is sealed\) after 4 attempts/);
    } finally {
      await server.close();
    }
  });
});
