import { HttpApiError } from "../http-api-error";
import { createOnce } from "../http-retry";
import type { NetlifyClient, NetlifySite } from "./api";

/** A site variable as Netlify's environment variable endpoints take it. */
export interface NetlifyEnvVar {
  readonly key: string;
  readonly scopes: readonly string[];
  readonly values: readonly { readonly context: string; readonly value: string }[];
  readonly is_secret: boolean;
}

/** The variables a site should have: plain ones, and secret ones that Netlify keeps unreadable. */
export interface SiteVariables {
  readonly env: Readonly<Record<string, string>>;
  readonly secretEnv: Readonly<Record<string, string>>;
}

/** Scopes of a plain variable: every scope Netlify's description lists, so it is everywhere the site runs code. */
export const PLAIN_SCOPES = ["builds", "functions", "runtime", "post-processing"] as const;
/** Scopes of a secret: Netlify does not allow secret values in post-processing (netlify/cli `env:set`). */
export const SECRET_SCOPES = ["builds", "functions", "runtime"] as const;
/** Deploy context of a plain variable's value: every context. */
export const PLAIN_CONTEXT = "all";
/**
 * Deploy context of a secret's value: `production` only. Netlify does not take a secret's value for `all` or `dev`
 * (their values stay readable), and this product makes production deploys only, so a deploy preview of a repository
 * linked later does not receive the secret either.
 */
export const SECRET_CONTEXT = "production";

/** The variables as Netlify's endpoints take them; a key that is both plain and secret is secret. */
export function envVarsOf(variables: SiteVariables): NetlifyEnvVar[] {
  const plain = Object.entries(variables.env)
    .filter(([key]) => !(key in variables.secretEnv))
    .map(([key, value]) => ({ key, scopes: PLAIN_SCOPES, values: [{ context: PLAIN_CONTEXT, value }], is_secret: false }));
  const secret = Object.entries(variables.secretEnv).map(([key, value]) => ({ key, scopes: SECRET_SCOPES, values: [{ context: SECRET_CONTEXT, value }], is_secret: true }));
  return [...plain, ...secret];
}

/** The account (team) whose variable endpoints hold the site's variables. */
export function accountOf(site: NetlifySite): string {
  const account = site.account_id || site.account_slug;
  if (!account) throw new Error(`Netlify did not say which team owns the site ${site.name}; its variables cannot be set`);
  return account;
}

/**
 * Gives the site exactly these variables, through the account-level environment variable endpoints scoped to the
 * site (`site_id`). A variable that exists is replaced whole (its values are absolute, so a retry sets them again);
 * one whose secrecy changes is deleted and created again; missing ones are created together; `removedKeys` that are no
 * longer wanted are deleted. Variable values never appear in an error message.
 */
export async function syncSiteVariables(api: NetlifyClient, site: NetlifySite, variables: SiteVariables, removedKeys: readonly string[] = []): Promise<void> {
  const account = encodeURIComponent(accountOf(site));
  const siteQuery = `site_id=${encodeURIComponent(site.id)}`;
  const keyPath = (key: string) => `/accounts/${account}/env/${encodeURIComponent(key)}?${siteQuery}`;
  const secrets = Object.values(variables.secretEnv);
  const wanted = envVarsOf(variables);
  const list = () => api.request<{ key?: string; is_secret?: boolean }[]>({ operation: "list variables", kind: "read", method: "GET", path: `/accounts/${account}/env?${siteQuery}` });
  const existing = new Map((await list()).map((envVar) => [envVar.key, envVar]));

  const toCreate: NetlifyEnvVar[] = [];
  for (const envVar of wanted) {
    const current = existing.get(envVar.key);
    if (current && Boolean(current.is_secret) === envVar.is_secret) {
      await api.request({ operation: `update variable ${envVar.key}`, kind: "update", method: "PUT", path: keyPath(envVar.key), json: envVar, secrets });
      continue;
    }
    if (current) await deleteVariable(api, keyPath(envVar.key), envVar.key);
    toCreate.push(envVar);
  }
  if (toCreate.length > 0) {
    const keys = toCreate.map((envVar) => envVar.key).join(", ");
    // Creating a key twice is refused, not duplicated; after an unclear failure the keys are looked up instead.
    await createOnce({
      create: () => api.request({ operation: `create variables ${keys}`, kind: "create", method: "POST", path: `/accounts/${account}/env?${siteQuery}`, json: toCreate, secrets }),
      find: async () => {
        const now = new Set((await list()).map((envVar) => envVar.key));
        return toCreate.every((envVar) => now.has(envVar.key)) ? true : null;
      },
    });
  }
  const wantedKeys = new Set(wanted.map((envVar) => envVar.key));
  for (const key of new Set(removedKeys)) {
    if (!wantedKeys.has(key) && existing.has(key)) await deleteVariable(api, keyPath(key), key);
  }
}

async function deleteVariable(api: NetlifyClient, path: string, key: string): Promise<void> {
  try {
    await api.request({ operation: `delete variable ${key}`, kind: "delete", method: "DELETE", path });
  } catch (error) {
    // Already gone (also when an earlier attempt deleted it unseen) is what a delete wants.
    if (!(error instanceof HttpApiError && error.status === 404)) throw error;
  }
}
