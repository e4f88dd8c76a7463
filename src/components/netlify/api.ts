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
  /** The team (account) that owns the site; its variables live under this account. */
  readonly account_id?: string;
  /** The team's slug, which the account paths accept as well as its id. */
  readonly account_slug?: string;
}

/** One call: what it does, how it may be retried, and what it sends. */
export interface NetlifyCall {
  readonly operation: string;
  readonly kind: RequestKind;
  readonly method: string;
  readonly path: string;
  readonly json?: unknown;
  readonly raw?: Buffer;
  readonly secrets?: readonly string[];
}

/**
 * The documented subset of Netlify's HTTP API this product uses: sites here, their variables in `env-vars.ts` and
 * file-digest deploys in `deploy.ts`, all through `request`. Every call fails with an `HttpApiError`.
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

  /**
   * Sets the site's custom domain (null removes it); null when the site is gone. Variables are not site settings any
   * more: Netlify's description of updateSite says they moved from `build_settings.env` to the environment variable
   * endpoints (`env-vars.ts`).
   */
  async setCustomDomain(siteId: string, customDomain: string | null): Promise<NetlifySite | null> {
    try {
      return await this.request<NetlifySite>({ operation: "update site", kind: "update", method: "PATCH", path: `/sites/${encodeURIComponent(siteId)}`, json: { custom_domain: customDomain } });
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
}
