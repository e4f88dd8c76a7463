import { loadCatalog, type Catalog } from "./catalog";
import { DEFAULT_AWS_CONTAINER_SERVICE } from "./rules/aws-compute";
import { domainSteps, isDomainStep } from "./rules/launch";
import { autoRollbackDecision, protectionDecision, resourcesChoice, resourcesDecision, ttlDecision } from "./rules/resources";
import { canaryGates, defaultRollout, rolloutChoice, rolloutDecision } from "./rules/rollout";
import { secretsDecision } from "./rules/secrets";
import { ENVIRONMENT_TIERS, type Decision, type StackSpec } from "./spec";

/**
 * Topics whose decision the planner records for a spec, in the order its rules run. A spec's decisions on these
 * topics explain its own fields; other topics (`promotion`, `rollback`, `redeploy`) record what happened to it.
 */
export const FIELD_TOPICS = ["build", "target", "region", "service:", "secrets", "resources", "container_service", "compute_size", "rollout", "ttl", "protection", "auto_rollback"] as const;

/** The place of a topic in `FIELD_TOPICS` (every `service:<id>` shares one), or -1 for a topic that records an event. */
export function topicRank(topic: string): number {
  return FIELD_TOPICS.indexOf((topic.startsWith("service:") ? "service:" : topic) as (typeof FIELD_TOPICS)[number]);
}

/** The field topics a spec must explain: those its planner rules always decide for such a spec. */
export function requiredTopics(spec: StackSpec): string[] {
  return [
    "build",
    "target",
    "region",
    ...spec.services.filter((s) => s.kind === "datastore").map((s) => `service:${s.id}`),
    ...(spec.secrets.length > 0 ? ["secrets"] : []),
    "resources",
    ...(spec.target === "aws" && spec.build.kind !== "static" ? ["container_service"] : []),
    "rollout",
    ...(spec.ttl_hours !== null ? ["ttl"] : []),
    "protection",
    "auto_rollback",
  ];
}

// A tier named as a word of its own: not inside a stack name ("app.production") or an identifier ("production-db").
const TIER_WORD = new RegExp(`(?<![\\w.-])(${ENVIRONMENT_TIERS.join("|")})(?![\\w.-])`, "g");

/**
 * What is wrong with one field decision of a spec, or null when it agrees with the fields beside it: its choice must
 * be the field's value, its reason must speak of the spec's own tier only, and a reason that says "the tier's
 * default" must stand beside the tier's default value.
 */
export function decisionConflict(spec: StackSpec, decision: Decision, decisions: readonly Decision[] = spec.decisions, catalog: Catalog = loadCatalog()): string | null {
  const conflict = fieldConflict(spec, decision, decisions, catalog);
  if (conflict || topicRank(decision.topic) < 0) return conflict;
  const otherTier = [...decision.reason.matchAll(TIER_WORD)].map((m) => m[1]).find((tier) => tier !== spec.tier);
  return otherTier ? `${decision.topic}: the reason speaks of ${otherTier} in a ${spec.tier} spec ('${decision.reason}')` : null;
}

function fieldConflict(spec: StackSpec, decision: Decision, decisions: readonly Decision[], catalog: Catalog): string | null {
  const { topic, choice, reason } = decision;
  const says = (expected: string) => (choice === expected ? null : `${topic}: says '${choice}' but the spec has '${expected}'`);
  const defaults = catalog.tiers[spec.tier];
  const claimsDefault = (defaultReason: string, isDefault: boolean) =>
    reason === defaultReason && !isDefault ? `${topic}: gives the reason of the ${spec.tier} default ('${reason}') for a value that is not it` : null;

  if (topic.startsWith("service:")) {
    const service = spec.services.find((s) => `service:${s.id}` === topic);
    return service ? says(service.provisioning) : `${topic}: the spec has no such service`;
  }
  switch (topic) {
    case "build":
      return choice.split(" ")[0] === spec.build.kind ? null : `build: says '${choice}' but the spec builds ${spec.build.kind}`;
    case "target":
      return says(spec.target);
    case "region":
      return says(spec.region);
    case "secrets":
      return spec.secrets.length === 0 ? "secrets: the spec has no secrets" : says(secretsDecision(spec.project_id, spec.secrets).choice);
    case "container_service":
      if (spec.target !== "aws" || spec.build.kind === "static") return "container_service: the spec runs on no AWS container service";
      return says(spec.target_settings.aws_container_service ?? DEFAULT_AWS_CONTAINER_SERVICE);
    case "compute_size":
      return says(`${spec.resources.cpu} vCPU, ${spec.resources.memory_mb} MiB`);
    case "resources": {
      // A size rounded up to one the service runs keeps the asked size here; the compute_size decision states the result.
      const rounded = decisions.some((d) => d.topic === "compute_size" && !decisionConflict(spec, d, decisions, catalog));
      const instances = `${spec.resources.min_instances}-${spec.resources.max_instances} instances`;
      if (rounded) return choice.endsWith(`, ${instances}`) ? null : `resources: says '${choice}' but the spec runs ${instances}`;
      const defaultReason = resourcesDecision(spec.tier, defaults, spec.resources, "default").reason;
      return says(resourcesChoice(spec.resources)) ?? claimsDefault(defaultReason, choice === resourcesChoice(defaults));
    }
    case "rollout": {
      const mismatch = says(rolloutChoice(spec.rollout));
      if (mismatch) return mismatch;
      if (spec.rollout.strategy === "canary" && !reason.endsWith(`; ${canaryGates(spec.rollout)}`)) return `rollout: the reason states other gates than the spec's ('${reason}')`;
      const tierDefault = defaultRollout(catalog, spec.tier, spec.target, spec.build.kind);
      if (spec.rollout.strategy === "all_at_once" && reason.startsWith(`${spec.tier} defaults to a canary, but `)) {
        return defaults.rollout === "canary" && tierDefault.strategy === "all_at_once" ? null : `rollout: says ${spec.tier} falls back from a canary, but it does not on ${spec.target}`;
      }
      return claimsDefault(rolloutDecision(catalog, spec.tier, spec.rollout, "default").reason, JSON.stringify(spec.rollout) === JSON.stringify(tierDefault));
    }
    case "ttl":
      if (spec.ttl_hours === null) return "ttl: the spec has no time to live";
      return says(`${spec.ttl_hours} hours`) ?? claimsDefault(ttlDecision(spec.tier, defaults, spec.ttl_hours, "default")!.reason, spec.ttl_hours === defaults.ttl_hours);
    case "protection":
      return says(spec.protect ? "protected" : "unprotected") ?? claimsDefault(protectionDecision(spec.tier, spec.protect, "default").reason, spec.protect === defaults.protect);
    case "auto_rollback":
      return says(spec.auto_rollback ? "on" : "off") ?? claimsDefault(autoRollbackDecision(spec.tier, defaults, spec.auto_rollback, "default").reason, spec.auto_rollback === defaults.auto_rollback);
    default:
      return null;
  }
}

/**
 * Every way a spec's explanations contradict its fields: a field decision that disagrees (see `decisionConflict`), one
 * missing or recorded twice, and next steps about a domain other than the spec's. Empty for a spec that explains
 * itself; the planner, promotions and the stack-file writer keep it empty.
 */
export function decisionConflicts(spec: StackSpec, catalog: Catalog = loadCatalog()): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const decision of spec.decisions) {
    if (topicRank(decision.topic) >= 0 && seen.has(decision.topic)) problems.push(`${decision.topic}: decided more than once`);
    seen.add(decision.topic);
    const conflict = decisionConflict(spec, decision, spec.decisions, catalog);
    if (conflict) problems.push(conflict);
  }
  for (const topic of requiredTopics(spec)) if (!seen.has(topic)) problems.push(`${topic}: no decision explains it`);
  const expected = domainSteps(catalog, spec.tier, spec.target, spec.domain);
  const given = spec.next_steps.filter(isDomainStep);
  if (JSON.stringify(given) !== JSON.stringify(expected)) {
    problems.push(`next_steps: say ${given.length > 0 ? given.map((s) => `'${s}'`).join(", ") : "nothing"} about the domain, the spec needs ${expected.length > 0 ? expected.map((s) => `'${s}'`).join(", ") : "nothing"}`);
  }
  return problems;
}
