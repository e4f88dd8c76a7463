import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureOpenBao, OPENBAO_BIN_ENV } from "../../src/toolchain/openbao";

/** A throwaway OpenBao dev server on loopback: in-memory, unsealed, KV v2 mounted at `secret/`. */
export interface VaultDevServer {
  /** `http://127.0.0.1:<port>`, or `https://` with `tls`. */
  readonly address: string;
  readonly port: number;
  readonly rootToken: string;
  /** PEM of the CA that signed the server's certificate, with `tls`. */
  readonly caCert?: string;
  /** Path of that CA's PEM file, with `tls`. */
  readonly caCertFile?: string;
  /** Calls the HTTP API as root (or with `token`); answers with status and parsed JSON body. */
  api(method: string, apiPath: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Writes a KV v2 secret and returns the version created. */
  putSecret(secretPath: string, data: Record<string, unknown>, mount?: string): Promise<number>;
  /** Writes an ACL policy. */
  putPolicy(name: string, hcl: string): Promise<void>;
  /** Creates a token with the given policies (and without the root's). */
  createToken(policies: readonly string[]): Promise<string>;
  /** Enables AppRole (once) and creates a role with the given policies; returns its credentials. */
  createAppRole(role: string, policies: readonly string[]): Promise<{ roleId: string; secretId: string }>;
  /** Environment pointing a client at this server with the root token (or `token`). */
  clientEnv(token?: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Options of `startVaultDevServer`. */
export interface VaultDevServerOptions {
  /** Serve HTTPS with a CA generated for this server (`-dev-tls`). */
  readonly tls?: boolean;
}

/** A TCP port on loopback that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function serverBinary(): Promise<string> {
  const named = process.env[OPENBAO_BIN_ENV];
  if (named) return named;
  return (await ensureOpenBao({ onProgress: (line) => process.stderr.write(`[openbao] ${line}\n`) })).path;
}

/**
 * Starts `bao server -dev` on a free loopback port with a random root token, waits until it reports healthy and
 * returns a handle. The server's HOME is a temporary directory, so nothing (such as a token helper file) is written
 * to the real one. Always `stop()` it, e.g. in `afterAll`.
 */
export async function startVaultDevServer(options: VaultDevServerOptions = {}): Promise<VaultDevServer> {
  const binary = await serverBinary();
  let lastError: unknown;
  // A port found free can be taken before the server binds it; a second try with a new port settles that.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(binary: string, options: VaultDevServerOptions): Promise<VaultDevServer> {
  const port = await freePort();
  const rootToken = `root-${randomBytes(12).toString("hex")}`;
  const home = await mkdtemp(path.join(os.tmpdir(), "openbao-dev-"));
  const args = ["server", "-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, "-dev-no-store-token"];
  if (options.tls) args.push("-dev-tls", `-dev-tls-cert-dir=${home}`);
  const child = spawn(binary, args, {
    cwd: home,
    env: { PATH: process.env.PATH ?? "", HOME: home, TMPDIR: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-16 * 1024);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // A binary that cannot be run (missing, not executable) never exits: its error ends the wait at once instead.
  let spawnError: Error | undefined;
  child.on("error", (error) => (spawnError = error));

  const scheme = options.tls ? "https" : "http";
  const address = `${scheme}://127.0.0.1:${port}`;
  let caCert: string | undefined;
  const caCertFile = options.tls ? path.join(home, "vault-ca.pem") : undefined;

  const call = async (method: string, apiPath: string, body?: unknown, token = rootToken) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
      const url = new URL(address + apiPath);
      const transport = url.protocol === "https:" ? https : http;
      const request = transport.request(
        url,
        {
          method,
          headers: { "X-Vault-Token": token, ...(payload ? { "Content-Type": "application/json" } : {}) },
          ...(caCert ? { ca: caCert } : {}),
          timeout: 10_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (c: Buffer) => chunks.push(c));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error("timeout")));
      request.on("error", reject);
      request.end(payload);
    });
  };

  const stop = async () => {
    if (spawnError === undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(home, { recursive: true, force: true });
  };

  try {
    await waitHealthy(async () => {
      if (caCertFile && !caCert) caCert = await readFile(caCertFile, "utf8").catch(() => undefined);
      if (options.tls && !caCert) return false;
      const health = await call("GET", "/v1/sys/health").catch(() => null);
      return health?.status === 200;
    }, child, () => log, () => spawnError);
  } catch (error) {
    await stop();
    throw error;
  }

  let appRoleEnabled = false;
  const server: VaultDevServer = {
    address,
    port,
    rootToken,
    ...(caCert ? { caCert } : {}),
    ...(caCertFile ? { caCertFile } : {}),
    api: call,
    async putSecret(secretPath, data, mount = "secret") {
      const response = await call("POST", `/v1/${mount}/data/${secretPath}`, { data });
      if (response.status !== 200) throw new Error(`writing ${mount}/${secretPath} failed: HTTP ${response.status} ${JSON.stringify(response.body?.errors)}`);
      return response.body.data.version as number;
    },
    async putPolicy(name, hcl) {
      const response = await call("PUT", `/v1/sys/policies/acl/${name}`, { policy: hcl });
      if (response.status !== 204 && response.status !== 200) throw new Error(`writing policy ${name} failed: HTTP ${response.status}`);
    },
    async createToken(policies) {
      const response = await call("POST", "/v1/auth/token/create", { policies, no_default_policy: false, ttl: "10m" });
      if (response.status !== 200) throw new Error(`creating a token failed: HTTP ${response.status}`);
      return response.body.auth.client_token as string;
    },
    async createAppRole(role, policies) {
      if (!appRoleEnabled) {
        const enabled = await call("POST", "/v1/sys/auth/approle", { type: "approle" });
        if (enabled.status !== 204 && enabled.status !== 200) throw new Error(`enabling AppRole failed: HTTP ${enabled.status}`);
        appRoleEnabled = true;
      }
      const created = await call("POST", `/v1/auth/approle/role/${role}`, { token_policies: policies, token_ttl: "10m" });
      if (created.status !== 204 && created.status !== 200) throw new Error(`creating role ${role} failed: HTTP ${created.status}`);
      const roleId = (await call("GET", `/v1/auth/approle/role/${role}/role-id`)).body.data.role_id as string;
      const secretId = (await call("POST", `/v1/auth/approle/role/${role}/secret-id`, {})).body.data.secret_id as string;
      return { roleId, secretId };
    },
    clientEnv(token = rootToken) {
      return { VAULT_ADDR: address, VAULT_TOKEN: token, ...(caCertFile ? { VAULT_CACERT: caCertFile } : {}) };
    },
    stop,
  };
  return server;
}

async function waitHealthy(check: () => Promise<boolean>, child: ChildProcess, log: () => string, spawnError: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const error = spawnError();
    if (error) throw new Error(`bao server could not be run: ${error.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`bao server exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${log().slice(-2000)}`);
    }
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`bao server was not healthy within 30s:\n${log().slice(-2000)}`);
}
