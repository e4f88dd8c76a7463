import type { EnvironmentTier } from "../../planner/spec";

/**
 * The project's Vercel Authentication scope (`vercelAuthentication.deploymentType`), in the provider's own spelling.
 * The provider accepts `standard_protection_new`, `standard_protection`, `all_deployments`, `only_preview_deployments`
 * or `none` (vercel/terraform-provider-vercel v5.4.1, `resource_project.go`); the SDK's doc comment shows them
 * camel-cased, a spelling the provider rejects.
 */
export type VercelProtection = "none" | "standard_protection_new" | "all_deployments";

/** What the protection is chosen from. */
export interface VercelAccess {
  readonly tier: EnvironmentTier;
  /** The spec's `public`: anyone may reach the app (true), or only authenticated callers. */
  readonly public: boolean;
  /** Whether the release is served on a custom domain (a production domain, or an alias of a non-production release). */
  readonly domain: boolean;
}

/**
 * The protection that serves the release to the audience the spec asks for, and to no one else where Vercel allows.
 * Vercel's scopes (vercel.com/docs/deployment-protection): Standard Protection, its default on every plan, protects
 * every URL except production domains, so the generated per-deployment URLs and every preview need a Vercel login with
 * access to the project, while the production custom domain and the project's production `*.vercel.app` domains stay
 * public; All Deployments (Pro and Enterprise only) protects every URL, production domains included.
 *
 * - public production: Standard Protection. The production domain serves everyone; the generated URL of this and of
 *   every older release stays behind the login, so old releases are not left public.
 * - public preview, staging or development: none. These are preview deployments, and every URL of a preview
 *   deployment, a custom domain aliased to it included, is protected under Standard Protection.
 * - private, served only on its generated URL (a non-production tier without a domain): Standard Protection, which
 *   protects it on every plan.
 * - private, served on a domain (production, or a non-production tier with a custom domain): All Deployments, the
 *   only scope that protects production and custom domains. Vercel refuses it at apply on the Hobby plan.
 */
export function vercelProtection(access: VercelAccess): VercelProtection {
  if (access.public) return access.tier === "production" ? "standard_protection_new" : "none";
  return access.tier === "production" || access.domain ? "all_deployments" : "standard_protection_new";
}

function hostOf(url: string): string {
  return url.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
}

/**
 * The URL of a production release without a custom domain: one of the production domains Vercel assigned to the
 * deployment (its aliases), which Standard Protection leaves public and which keep serving production, rather than the
 * deployment's own generated URL, which it protects. The project's `<name>.vercel.app` when Vercel gave it that one, else
 * the shortest `*.vercel.app` alias (Vercel adds a suffix when the name is taken elsewhere); the generated URL only
 * when the deployment has no alias at all.
 */
export function productionDomainUrl(aliases: readonly string[] | undefined, deploymentUrl: string, projectName: string): string {
  const own = hostOf(deploymentUrl);
  const candidates = (aliases ?? []).map(hostOf).filter((alias) => alias !== "" && alias !== own);
  const shortest = (hosts: string[]) => [...hosts].sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
  const chosen =
    candidates.find((alias) => alias === `${projectName}.vercel.app`) ??
    shortest(candidates.filter((alias) => alias.endsWith(".vercel.app"))) ??
    shortest(candidates) ??
    own;
  return `https://${chosen}`;
}
