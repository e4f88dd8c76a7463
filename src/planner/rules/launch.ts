import { failure } from "../../outcome";
import type { Catalog } from "../catalog";
import { TARGETS, type EnvironmentTier, type Target, type WebhookSpec } from "../spec";
import { ruled, type RuleOutcome, type RuleResult, type TargetedIntent } from "./result";

/**
 * The domain rule: a custom domain needs a target that serves custom domains (else stage `plan`); its DNS is a next
 * step, and a production app on such a target without one is reminded to connect one.
 */
export function planDomain(intent: TargetedIntent): RuleOutcome<string | null> {
  const { request, catalog, target } = intent;
  const entry = catalog.targets[target];
  if (!request.domain) return ruled(null, { nextSteps: domainSteps(catalog, intent.tier, target, null) });
  if (!entry.custom_domains) {
    return failure(
      "plan",
      `domain: ${entry.name} cannot serve the custom domain '${request.domain}'`,
      `Choose a target with custom domains (${TARGETS.filter((t) => catalog.targets[t].custom_domains).join(", ")}) or drop 'domain'.`,
    );
  }
  return ruled(request.domain, { nextSteps: domainSteps(catalog, intent.tier, target, request.domain) });
}

/**
 * The next steps a domain leaves, which lead the list: point a custom domain's DNS at the target, or, for production
 * on a target that serves custom domains, connect one.
 */
export function domainSteps(catalog: Catalog, tier: EnvironmentTier, target: Target, domain: string | null): string[] {
  const entry = catalog.targets[target];
  if (domain) return [`Point the DNS of ${domain} at ${entry.name} and wait for its certificate`];
  return tier === "production" && entry.custom_domains ? [CONNECT_DOMAIN] : [];
}

/** Whether a next step is one `domainSteps` gives, for any domain. */
export function isDomainStep(step: string): boolean {
  return step === CONNECT_DOMAIN || /^Point the DNS of \S+ at .+ and wait for its certificate$/.test(step);
}

const CONNECT_DOMAIN = "Connect domain";

/** What the user does once the app is live: create an admin user (SaaS and full-stack apps) and register webhooks. */
export function afterLaunch(intent: TargetedIntent, webhooks: readonly WebhookSpec[]): RuleResult<null> {
  const nextSteps = ["cloud_saas", "fullstack"].includes(intent.request.deployment_type) ? ["Create admin user"] : [];
  for (const hook of webhooks) nextSteps.push(`Register the ${hook.service} webhook at <deployed URL>${hook.path} for ${hook.events.join(", ")}`);
  return ruled(null, { nextSteps });
}
