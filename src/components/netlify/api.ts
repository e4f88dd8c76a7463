import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { HttpApiError } from "../http-api-error";
import { callHttpApi, createOnce, type HttpApiTarget, type RequestKind, type RetryOptions } from "../http-retry";

/** Default base URL of Netlify's HTTP API; `NETLIFY_API_URL` overrides it. */
export const NETLIFY_API_URL = "https://api.netlify.com/api/v1";

/** Options of the client. */
export interface NetlifyClientOptions extends RetryOptions {
  readonly token: string;
  readonly baseUrl?: string;
}

/** A site as the API returns it (the fields this product uses). */
export interface NetlifySite {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly ssl_url?: string;
  readonly admin_url?: string;
  readonly custom_domain?: string | null;
  readonly build_settings?: { env?: Record<string, string> };
}

/** One call: what it does, how it may be retried, and what it sends. */
interface NetlifyCall {
  readonly operation: string;
  readonly kind: RequestKind;
  readonly method: string;
  readonly path: string;
  readonly json?: unknown;
  readonly raw?: Buffer;
  readonly secrets?: readonly string[];
}

/**
 * The documented subset of Netlify's HTTP API this product uses: sites, their variables and file-digest deploys.
 * Every call fails with an `HttpApiError`.
 */
export class NetlifyClient {
  private readonly baseUrl: string;
  private readonly target: HttpApiTarget;

  constructor(options: NetlifyClientOptions) {
    this.baseUrl = (options.baseUrl ?? NETLIFY_API_URL).replace(/\/$/, "");
    this.target = { ...options, api: "Netlify", tokenVariable: "NETLIFY_AUTH_TOKEN" };
  }

  /** Sends one call under the retry policy of its kind and returns the parsed JSON answer. */
  async request<T>(call: NetlifyCall): Promise<T> {
    const response = await callHttpApi(this.target, {
      operation: call.operation,
      kind: call.kind,
      url: `${this.baseUrl}${call.path}`,
      method: call.method,
      body: call.raw ?? (call.json !== undefined ? JSON.stringify(call.json) : undefined),
      contentType: call.raw ? "application/octet-stream" : undefined,
      secrets: call.secrets,
    });
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * Creates a site without ever making two. Netlify has no idempotency key for site creation, but a site's name is
   * unique across Netlify: after a create that may have succeeded unseen, the site is looked up by name and adopted.
   * A site of that name that existed before is never adopted; the create then fails as Netlify answers it.
   */
  async createSite(name: string, customDomain: string | null): Promise<NetlifySite> {
    const operation = "create site";
    const before = await this.findSiteByName(name, operation);
    return createOnce({
      create: () => this.request<NetlifySite>({ operation, kind: "create", method: "POST", path: "/sites", json: { name, ...(customDomain ? { custom_domain: customDomain } : {}) } }),
      find: () => (before ? Promise.resolve(null) : this.findSiteByName(name, operation)),
      maxDelayMs: this.target.maxDelayMs,
    });
  }

  /** The site of this account with exactly this name, or null. */
  async findSiteByName(name: string, operation = "find site"): Promise<NetlifySite | null> {
    // `name` filters by substring, so a short name can match many sites: page through and compare exactly.
    for (let page = 1; page <= 20; page += 1) {
      const query = new URLSearchParams({ name, filter: "all", page: String(page), per_page: "100" });
      const sites = await this.request<NetlifySite[]>({ operation, kind: "read", method: "GET", path: `/sites?${query}` });
      const site = sites.find((s) => s.name === name);
      if (site) return site;
      if (sites.length < 100) return null;
    }
    return null;
  }

  /** The site, or null when it no longer exists. */
  async getSite(siteId: string): Promise<NetlifySite | null> {
    try {
      return await this.request<NetlifySite>({ operation: "read site", kind: "read", method: "GET", path: `/sites/${encodeURIComponent(siteId)}` });
    } catch (error) {
      if (error instanceof HttpApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Sets the site's domain and variables (absolute values, so retried safely); null when the site is gone. */
  async updateSite(siteId: string, changes: { custom_domain?: string | null; build_settings?: { env: Record<string, string> } }): Promise<NetlifySite | null> {
    try {
      return await this.request<NetlifySite>({
        operation: "update site",
        kind: "update",
        method: "PATCH",
        path: `/sites/${encodeURIComponent(siteId)}`,
        json: changes,
        secrets: Object.values(changes.build_settings?.env ?? {}),
      });
    } catch (error) {
      if (error instanceof HttpApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Deletes the site; one already gone (also when an earlier attempt deleted it unseen) counts as deleted. */
  async deleteSite(siteId: string): Promise<void> {
    try {
      await this.request({ operation: "delete site", kind: "delete", method: "DELETE", path: `/sites/${encodeURIComponent(siteId)}` });
    } catch (error) {
      if (!(error instanceof HttpApiError && error.status === 404)) throw error;
    }
  }

/**
   * Deploys a directory with Netlify's file-digest protocol: the deploy lists every file's SHA-1, and only the files the
   * site does not have yet are uploaded.
   */
  async deployDirectory(siteId: string, directory: string): Promise<{ deployId: string; uploaded: number }> {
    const files = await digestFiles(directory);
    const digests = Object.fromEntries([...files.entries()].map(([file, entry]) => [file, entry.sha1]));
    // Each create makes a new deploy, so it is never repeated after an unclear failure; the caller decides.
    const deploy = await this.request<{ id: string; required?: string[] }>({
      operation: "create deploy",
      kind: "append",
      method: "POST",
      path: `/sites/${encodeURIComponent(siteId)}/deploys`,
      json: { files: digests },
    });
    const required = new Set(deploy.required ?? []);
    let uploaded = 0;
    for (const [file, entry] of files) {
      if (!required.has(entry.sha1)) continue;
      // Uploading the same bytes to the same path again changes nothing, so uploads retry like updates.
      const raw = await readFile(entry.absolute);
      await this.request({ operation: "upload file", kind: "update", method: "PUT", path: `/deploys/${encodeURIComponent(deploy.id)}/files${file}`, raw });
      required.delete(entry.sha1);
      uploaded += 1;
    }
    return { deployId: deploy.id, uploaded };
  }
}

/** SHA-1 of every file under a directory, keyed by its path from the root (`/index.html`). */
export async function digestFiles(directory: string): Promise<Map<string, { sha1: string; absolute: string }>> {
  const result = new Map<string, { sha1: string; absolute: string }>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute, `${prefix}/${entry.name}`);
      else if (entry.isFile()) result.set(`${prefix}/${entry.name}`, { sha1: createHash("sha1").update(await readFile(absolute)).digest("hex"), absolute });
    }
  };
  await walk(directory, "");
  return result;
}
