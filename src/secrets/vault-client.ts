import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { kvMount } from "./reference";

/**
 * A small client for the parts of the HashiCorp Vault HTTP API the planner uses: KV v2 reads and AppRole login.
 * It works unchanged against OpenBao, which serves the same API.
 *
 * Why not `node-vault`: it has no retries and no AbortSignal, reads `VAULT_NAMESPACE` from `process.env` behind the
 * caller's back, and reports HTTP failures as errors whose status has to be dug out of text. Two documented endpoints
 * are less code to own than the wrapping those gaps would need.
 */

/** How to reach and authenticate to Vault. */
export interface VaultSettings {
  /** Base address, e.g. `https://vault.example.com:8200` (no trailing slash). */
  readonly address: string;
  /** Vault token; used when set, otherwise AppRole. */
  readonly token?: string;
  /** AppRole credentials, used when no token is given. */
  readonly appRole?: { readonly roleId: string; readonly secretId: string; readonly mount: string };
  /** Enterprise/OpenBao namespace sent as `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** PEM bundle trusted for the server's certificate instead of the system roots. */
  readonly caCert?: string;
  /** KV v2 mount the references' paths are under. */
  readonly kvMount: string;
  /** Time allowed for one HTTP request, connection included. */
  readonly timeoutMs: number;
  /** Retries after a 412, 429 or 5xx answer or a failed connection, with exponential backoff. */
  readonly maxRetries: number;
  /** First backoff delay; doubled on each retry. */
  readonly retryDelayMs: number;
}

/** Per-request timeout when `VAULT_CLIENT_TIMEOUT` is not set: short, because a deployment waits on it. */
export const DEFAULT_VAULT_TIMEOUT_MS = 5_000;
/** Retries when `VAULT_MAX_RETRIES` is not set (the Vault CLI's default too). */
export const DEFAULT_VAULT_MAX_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 250;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Settings read from the environment, or what is missing or wrong. */
export type VaultSettingsResult =
  | { readonly ok: true; readonly settings: VaultSettings }
  | { readonly ok: false; readonly message: string; readonly fix: string };

/**
 * Reads Vault settings from the standard variables: `VAULT_ADDR`, `VAULT_TOKEN`, `VAULT_ROLE_ID` + `VAULT_SECRET_ID`
 * (AppRole, mounted at `VAULT_APPROLE_MOUNT`, default `approle`), `VAULT_NAMESPACE`, `VAULT_CACERT` (a PEM file),
 * `VAULT_KV_MOUNT` (default `secret`), `VAULT_CLIENT_TIMEOUT` (seconds, or a duration such as `1500ms`) and
 * `VAULT_MAX_RETRIES`. Explicit `overrides` win over the environment.
 */
export function vaultSettingsFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<VaultSettings> = {}): VaultSettingsResult {
  const rawAddress = overrides.address ?? env.VAULT_ADDR?.trim();
  if (!rawAddress) {
    return {
      ok: false,
      message: "Vault is not configured: VAULT_ADDR is not set",
      fix: "Set VAULT_ADDR to your Vault's address (e.g. https://vault.example.com:8200) and VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole",
    };
  }
  let address: string;
  try {
    const url = new URL(rawAddress);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
    address = url.origin + url.pathname.replace(/\/+$/, "");
  } catch {
    return { ok: false, message: `VAULT_ADDR '${rawAddress}' is not an http(s) URL`, fix: "Set VAULT_ADDR to a URL such as https://vault.example.com:8200" };
  }

  const token = overrides.token ?? nonEmpty(env.VAULT_TOKEN);
  const roleId = nonEmpty(env.VAULT_ROLE_ID);
  const secretId = nonEmpty(env.VAULT_SECRET_ID);
  const appRole =
    overrides.appRole ?? (roleId && secretId ? { roleId, secretId, mount: trimSlashes(env.VAULT_APPROLE_MOUNT) || "approle" } : undefined);
  if (!token && !appRole) {
    const half = roleId ? "VAULT_SECRET_ID is not set" : secretId ? "VAULT_ROLE_ID is not set" : "neither VAULT_TOKEN nor VAULT_ROLE_ID/VAULT_SECRET_ID is set";
    return {
      ok: false,
      message: `No credentials for Vault at ${address}: ${half}`,
      fix: "Set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole login",
    };
  }

  let caCert = overrides.caCert;
  const caFile = nonEmpty(env.VAULT_CACERT);
  if (caCert === undefined && caFile) {
    try {
      caCert = readFileSync(caFile, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      return { ok: false, message: `Cannot read VAULT_CACERT file ${caFile} (${code})`, fix: "Point VAULT_CACERT at the PEM file of the CA that signed Vault's certificate" };
    }
  }

  const namespace = overrides.namespace ?? (trimSlashes(env.VAULT_NAMESPACE) || undefined);
  const timeoutMs = overrides.timeoutMs ?? parseDuration(env.VAULT_CLIENT_TIMEOUT) ?? DEFAULT_VAULT_TIMEOUT_MS;
  const retriesFromEnv = env.VAULT_MAX_RETRIES !== undefined && /^\d+$/.test(env.VAULT_MAX_RETRIES) ? Number(env.VAULT_MAX_RETRIES) : undefined;
  return {
    ok: true,
    settings: {
      address,
      ...(token ? { token } : {}),
      ...(appRole && !token ? { appRole } : {}),
      ...(namespace ? { namespace } : {}),
      ...(caCert !== undefined ? { caCert } : {}),
      kvMount: overrides.kvMount ?? kvMount(env),
      timeoutMs,
      maxRetries: Math.min(overrides.maxRetries ?? retriesFromEnv ?? DEFAULT_VAULT_MAX_RETRIES, 10),
      retryDelayMs: overrides.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    },
  };
}

/** Vault could not be reached: every attempt failed to connect, timed out, or got a retryable status. */
export class VaultUnreachableError extends Error {
  readonly code = "VAULT_UNREACHABLE" as const;
  constructor(
    readonly address: string,
    readonly detail: string,
    readonly attempts: number,
    readonly elapsedMs: number,
  ) {
    super(`Vault at ${address} is unreachable (${detail}) after ${attempts} attempt${attempts === 1 ? "" : "s"} in ${(elapsedMs / 1000).toFixed(1)}s`);
    this.name = "VaultUnreachableError";
  }
}

/** The caller's AbortSignal fired. */
export class VaultRequestAbortedError extends Error {
  readonly code = "VAULT_REQUEST_ABORTED" as const;
  constructor() {
    super("the Vault request was cancelled");
    this.name = "VaultRequestAbortedError";
  }
}

/** An HTTP answer from Vault; `errors` is Vault's own error list (never holds secret values). */
export interface VaultResponse {
  readonly status: number;
  readonly body: unknown;
  readonly errors: readonly string[];
}

/** Outcome of reading one KV v2 secret. */
export type KvReadResult =
  | { readonly kind: "found"; readonly data: Record<string, unknown>; readonly version: number }
  | { readonly kind: "not_found"; readonly deleted: boolean }
  | { readonly kind: "permission_denied" }
  | { readonly kind: "error"; readonly status: number; readonly errors: readonly string[] };

/** Talks to one Vault server with one set of credentials. */
export class VaultClient {
  private token: string | undefined;
  private readonly agent: http.Agent | https.Agent;

  constructor(readonly settings: VaultSettings) {
    this.token = settings.token;
    this.agent = settings.address.startsWith("https:")
      ? new https.Agent({ keepAlive: true, ...(settings.caCert !== undefined ? { ca: settings.caCert } : {}) })
      : new http.Agent({ keepAlive: true });
  }

  /**
   * Logs in with AppRole when no token was given. Returns an error description for a rejected login;
   * throws `VaultUnreachableError` / `VaultRequestAbortedError` like every request.
   */
  async authenticate(signal?: AbortSignal): Promise<{ ok: true } | { ok: false; status: number; errors: readonly string[] }> {
    if (this.token) return { ok: true };
    const appRole = this.settings.appRole;
    if (!appRole) return { ok: false, status: 0, errors: ["no credentials"] };
    const response = await this.request("POST", `/v1/auth/${encodePath(appRole.mount)}/login`, {
      body: { role_id: appRole.roleId, secret_id: appRole.secretId },
      signal,
      authenticated: false,
    });
    const clientToken = (response.body as { auth?: { client_token?: unknown } } | null)?.auth?.client_token;
    if (response.status === 200 && typeof clientToken === "string" && clientToken) {
      this.token = clientToken;
      return { ok: true };
    }
    return { ok: false, status: response.status, errors: response.errors };
  }

  /** Reads a KV v2 secret (`GET /v1/<mount>/data/<path>[?version=N]`). */
  async readKv(secretPath: string, version: number | undefined, signal?: AbortSignal): Promise<KvReadResult> {
    const query = version !== undefined ? `?version=${version}` : "";
    const response = await this.request("GET", `/v1/${encodePath(this.settings.kvMount)}/data/${encodePath(secretPath)}${query}`, { signal });
    const body = response.body as { data?: { data?: unknown; metadata?: { version?: unknown; deletion_time?: unknown; destroyed?: unknown } } } | null;
    if (response.status === 200 && body?.data) {
      const metadata = body.data.metadata;
      // KV v2 answers 200 with `data: null` for a version that was deleted (soft) or destroyed.
      if (body.data.data === null || body.data.data === undefined) return { kind: "not_found", deleted: true };
      return { kind: "found", data: body.data.data as Record<string, unknown>, version: typeof metadata?.version === "number" ? metadata.version : 0 };
    }
    if (response.status === 404) {
      const metadata = body?.data?.metadata;
      const deleted = Boolean(metadata && ((typeof metadata.deletion_time === "string" && metadata.deletion_time !== "") || metadata.destroyed === true));
      return { kind: "not_found", deleted };
    }
    if (response.status === 403) return { kind: "permission_denied" };
    return { kind: "error", status: response.status, errors: response.errors };
  }

  /** Sends one request to the API with the configured timeout, retries and headers. */
  async request(
    method: "GET" | "POST" | "PUT" | "DELETE",
    apiPath: string,
    options: { body?: unknown; signal?: AbortSignal; authenticated?: boolean } = {},
  ): Promise<VaultResponse> {
    const started = Date.now();
    const attempts = this.settings.maxRetries + 1;
    let lastDetail = "";
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (options.signal?.aborted) throw new VaultRequestAbortedError();
      let retryAfterMs: number | undefined;
      try {
        const response = await this.send(method, apiPath, options);
        if (!isRetryable(response.status)) return response;
        lastDetail = `HTTP ${response.status}${response.errors.length ? `: ${response.errors.join("; ")}` : ""}`;
        retryAfterMs = response.retryAfterMs;
      } catch (error) {
        if (error instanceof VaultRequestAbortedError) throw error;
        lastDetail = (error as Error).message;
      }
      if (attempt < attempts) {
        const backoff = this.settings.retryDelayMs * 2 ** (attempt - 1);
        await delay(Math.min(Math.max(backoff, retryAfterMs ?? 0), 2_000), options.signal);
      }
    }
    throw new VaultUnreachableError(this.settings.address, lastDetail, attempts, Date.now() - started);
  }

  /** Closes idle keep-alive connections so a finished resolution leaves no sockets open. */
  close(): void {
    this.agent.destroy();
  }

  private send(
    method: string,
    apiPath: string,
    options: { body?: unknown; signal?: AbortSignal; authenticated?: boolean },
  ): Promise<VaultResponse & { retryAfterMs?: number }> {
    const url = new URL(this.settings.address + apiPath);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { Accept: "application/json", "X-Vault-Request": "true" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (options.authenticated !== false && this.token) headers["X-Vault-Token"] = this.token;
    if (this.settings.namespace) headers["X-Vault-Namespace"] = this.settings.namespace;
    const transport = url.protocol === "https:" ? https : http;

    return new Promise((resolve, reject) => {
      const request = transport.request(url, { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on("end", () => {
          cleanup();
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = null;
          }
          const errors = Array.isArray((body as { errors?: unknown } | null)?.errors)
            ? ((body as { errors: unknown[] }).errors.filter((e) => typeof e === "string") as string[])
            : [];
          const retryAfter = Number(response.headers["retry-after"]);
          resolve({ status: response.statusCode ?? 0, body, errors, ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) });
        });
        response.on("error", fail);
      });
      // One deadline for the whole exchange: connecting, sending, and reading the answer.
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
      const onAbort = () => request.destroy(new VaultRequestAbortedError());
      options.signal?.addEventListener("abort", onAbort, { once: true });
      function cleanup() {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      }
      function fail(error: Error) {
        cleanup();
        if (error instanceof VaultRequestAbortedError) return reject(error);
        const code = (error as NodeJS.ErrnoException).code;
        reject(new Error(code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message));
      }
      request.on("error", fail);
      request.end(payload);
    });
  }
}

function isRetryable(status: number): boolean {
  // 412: a performance standby has not caught up yet; 429: rate limited; 5xx: sealed, standby or overloaded.
  return status === 412 || status === 429 || (status >= 500 && status !== 501);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new VaultRequestAbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new VaultRequestAbortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Percent-encodes each segment of a Vault path, keeping the separators. */
export function encodePath(vaultPath: string): string {
  return vaultPath.split("/").map(encodeURIComponent).join("/");
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function trimSlashes(value: string | undefined): string {
  return (value ?? "").trim().replace(/^\/+|\/+$/g, "");
}

/** `5` → 5000 ms (seconds, as the Vault CLI reads it), `1500ms`, `2s`, `1m`; undefined when unset or malformed. */
function parseDuration(value: string | undefined): number | undefined {
  const match = value?.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m)?$/);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] ?? "s";
  const ms = unit === "ms" ? amount : unit === "s" ? amount * 1000 : amount * 60_000;
  return ms > 0 ? Math.round(ms) : undefined;
}
