import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fetchWithRetry, type RetryOptions } from "../http-retry";

/** Default base URL of Netlify's HTTP API; `NETLIFY_API_URL` overrides it. */
export const NETLIFY_API_URL = "https://api.netlify.com/api/v1";

/** A Netlify API call that failed, with the HTTP status and what to do about it. */
export class NetlifyApiError extends Error {
  readonly code = "NETLIFY_API_ERROR" as const;
  constructor(
    readonly status: number,
    readonly operation: string,
    detail: string,
  ) {
    super(
      status === 401 || status === 403
        ? `Netlify rejected the token for ${operation} (HTTP ${status}); check NETLIFY_AUTH_TOKEN`
        : `Netlify ${operation} failed (HTTP ${status})${detail ? `: ${detail}` : ""}`,
    );
    this.name = "NetlifyApiError";
  }
}

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

/** The documented subset of Netlify's HTTP API this product uses: sites, their variables and file-digest deploys. */
export class NetlifyClient {
  private readonly baseUrl: string;

  constructor(private readonly options: NetlifyClientOptions) {
    this.baseUrl = (options.baseUrl ?? NETLIFY_API_URL).replace(/\/$/, "");
  }

  /** Calls the API, retrying 429 (after its Retry-After) and 5xx a bounded number of times. */
  async request<T>(operation: string, method: string, urlPath: string, body?: unknown, raw?: Buffer): Promise<T | null> {
    const answer = await fetchWithRetry(
      `${this.baseUrl}${urlPath}`,
      {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(raw ? { "content-type": "application/octet-stream" } : body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
      },
      this.options,
    );
    const response = answer.response;
    if (response?.status === 404 && method === "GET") return null;
    if (response?.ok) {
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as T;
    }
    const detail = response ? (await response.text().catch(() => "")).slice(0, 200) : answer.detail;
    throw new NetlifyApiError(answer.status, operation, detail);
  }

  createSite(name: string, customDomain: string | null): Promise<NetlifySite | null> {
    return this.request<NetlifySite>("create site", "POST", "/sites", { name, ...(customDomain ? { custom_domain: customDomain } : {}) });
  }

  getSite(siteId: string): Promise<NetlifySite | null> {
    return this.request<NetlifySite>("read site", "GET", `/sites/${encodeURIComponent(siteId)}`);
  }

  updateSite(siteId: string, changes: { custom_domain?: string | null; build_settings?: { env: Record<string, string> } }): Promise<NetlifySite | null> {
    return this.request<NetlifySite>("update site", "PATCH", `/sites/${encodeURIComponent(siteId)}`, changes);
  }

  async deleteSite(siteId: string): Promise<void> {
    try {
      await this.request("delete site", "DELETE", `/sites/${encodeURIComponent(siteId)}`);
    } catch (error) {
      // Already gone is what delete wants.
      if (!(error instanceof NetlifyApiError && error.status === 404)) throw error;
    }
  }

  /**
   * Deploys a directory with Netlify's file-digest protocol: the deploy lists every file's SHA-1, and only the files the
   * site does not have yet are uploaded.
   */
  async deployDirectory(siteId: string, directory: string): Promise<{ deployId: string; uploaded: number }> {
    const files = await digestFiles(directory);
    const digests = Object.fromEntries([...files.entries()].map(([file, entry]) => [file, entry.sha1]));
    const deploy = await this.request<{ id: string; required?: string[] }>("create deploy", "POST", `/sites/${encodeURIComponent(siteId)}/deploys`, { files: digests });
    if (!deploy) throw new NetlifyApiError(404, "create deploy", "site not found");
    const required = new Set(deploy.required ?? []);
    let uploaded = 0;
    for (const [file, entry] of files) {
      if (!required.has(entry.sha1)) continue;
      await this.request("upload file", "PUT", `/deploys/${encodeURIComponent(deploy.id)}/files${file}`, undefined, await readFile(entry.absolute));
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
