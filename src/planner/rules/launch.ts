import { failure } from "../../outcome";
import { TARGETS, type WebhookSpec } from "../spec";
import { ruled, type RuleOutcome, type RuleResult, type TargetedIntent } from "./result";

/**
 * The domain rule: a custom domain needs a target that serves custom domains (else stage `plan`); its DNS is a next
 * step, and a production app on such a target without one is reminded to connect one.
 */
export function planDomain(intent: TargetedIntent): RuleOutcome<string | null> {
  const { request, catalog, target } = intent;
  const entry = catalog.targets[target];
  if (!request.domain) return ruled(null, { nextSteps: intent.tier === "production" && entry.custom_domains ? ["Connect domain"] : [] });
  if (!entry.custom_domains) {
    return failure(
      "plan",
      `domain: ${entry.name} cannot serve the custom domain '${request.domain}'`,
      `Choose a target with custom domains (${TARGETS.filter((t) => catalog.targets[t].custom_domains).join(", ")}) or drop 'domain'.`,
    );
  }
  return ruled(request.domain, { nextSteps: [`Point the DNS of ${request.domain} at ${entry.name} and wait for its certificate`] });
}

/** What the user does once the app is live: create an admin user (SaaS and full-stack apps) and register webhooks. */
export function afterLaunch(intent: TargetedIntent, webhooks: readonly WebhookSpec[]): RuleResult<null> {
  const nextSteps = ["cloud_saas", "fullstack"].includes(intent.request.deployment_type) ? ["Create admin user"] : [];
  for (const hook of webhooks) nextSteps.push(`Register the ${hook.service} webhook at <deployed URL>${hook.path} for ${hook.events.join(", ")}`);
  return ruled(null, { nextSteps });
}
