import { loadCatalog, type Catalog } from "./catalog";
import { DEFAULT_AWS_CONTAINER_SERVICE } from "./rules/aws-compute";
import { containerServiceDecision } from "./rules/aws-container";
import { domainSteps, isDomainStep } from "./rules/launch";
import { autoRollbackDecision, protectionDecision, resourcesDecision, ttlDecision, type SettingOrigin } from "./rules/resources";
import { defaultRollout, rolloutDecision } from "./rules/rollout";
import { secretsDecision } from "./rules/secrets";
import { decisionConflict, requiredTopics, topicRank } from "./spec-check";
import type { Decision, StackSpec } from "./spec";

const SET_IN_STACK_FILE = "set in the stack file";

/**
 * The decision on one field topic generated from the spec alone, or null when the spec has nothing to explain there.
 * A value equal to the tier's default gets the tier's reason; any other was set in the stack file (by hand, or kept
 * from the environment's own file by a promotion), and says so beside the tier's default.
 */
export function fieldDecision(spec: StackSpec, topic: string, catalog: Catalog = loadCatalog()): Decision | null {
  const { tier } = spec;
  const defaults = catalog.tiers[tier];
  const origin = (isDefault: boolean): Exclude<SettingOrigin, "requested"> => (isDefault ? "default" : "stack_file");
  if (topic.startsWith("service:")) {
    const service = spec.services.find((s) => `service:${s.id}` === topic);
    return service ? { topic, choice: service.provisioning, reason: SET_IN_STACK_FILE } : null;
  }
  switch (topic) {
    case "build": {
      const framework = spec.build.framework ? catalog.find(spec.build.framework)?.name ?? spec.build.framework : null;
      return { topic, choice: `${spec.build.kind}${framework ? ` (${framework})` : ""}`, reason: SET_IN_STACK_FILE };
    }
    case "target":
      return { topic, choice: spec.target, reason: SET_IN_STACK_FILE };
    case "region":
      return { topic, choice: spec.region, reason: spec.request_region ? `${SET_IN_STACK_FILE} for ${spec.request_region}` : SET_IN_STACK_FILE };
    case "secrets":
      return spec.secrets.length > 0 ? secretsDecision(spec.project_id, spec.secrets) : null;
    case "container_service":
      if (spec.target !== "aws" || spec.build.kind === "static") return null;
      return containerServiceDecision(spec.target_settings.aws_container_service ?? DEFAULT_AWS_CONTAINER_SERVICE, spec.target_settings.aws_container_service !== undefined);
    case "resources": {
      const { memory_mb, cpu, min_instances, max_instances } = defaults;
      const isDefault = JSON.stringify(spec.resources) === JSON.stringify({ memory_mb, cpu, min_instances, max_instances });
      return resourcesDecision(tier, defaults, spec.resources, origin(isDefault));
    }
    case "rollout":
      return rolloutDecision(catalog, tier, spec.rollout, origin(JSON.stringify(spec.rollout) === JSON.stringify(defaultRollout(catalog, tier, spec.target, spec.build.kind))));
    case "ttl":
      return ttlDecision(tier, defaults, spec.ttl_hours, origin(spec.ttl_hours === defaults.ttl_hours));
    case "protection":
      return protectionDecision(tier, spec.protect, origin(spec.protect === defaults.protect));
    case "auto_rollback":
      return autoRollbackDecision(tier, defaults, spec.auto_rollback, origin(spec.auto_rollback === defaults.auto_rollback));
    default:
      // compute_size only explains a rounding the resources rule saw; without it there is nothing to say.
      return null;
  }
}

/**
 * The spec with explanations that agree with its fields. Each decision that agrees is kept as it is (so a request-time
 * "as requested" stays); one that contradicts its field, or is missing, is generated from the spec (`fieldDecision`);
 * one about something the spec no longer has is dropped. Decisions keep the order the planner's rules record them
 * in, events (promotion, rollback, redeploy) last. Next steps about the domain are those of the spec's own domain
 * and tier. A spec that already explains itself comes back unchanged.
 */
export function explainSpec(spec: StackSpec, catalog: Catalog = loadCatalog()): StackSpec {
  let kept: Decision[] = [];
  const generated = new Set<string>();
  const generate = (topic: string) => {
    const decision = fieldDecision(spec, topic, catalog);
    if (decision) kept.push(decision);
    generated.add(topic);
  };
  // Rounding is judged first, so that the resources decision is judged beside the compute_size decision that stays.
  const order = [...spec.decisions].sort((a, b) => Number(b.topic === "compute_size") - Number(a.topic === "compute_size"));
  for (const decision of order) {
    const field = topicRank(decision.topic) >= 0;
    if (field && (kept.some((d) => d.topic === decision.topic) || generated.has(decision.topic))) continue;
    if (!field || decisionConflict(spec, decision, kept, catalog) === null) kept.push(decision);
    else generate(decision.topic);
  }
  for (const topic of requiredTopics(spec)) if (!kept.some((d) => d.topic === topic)) generate(topic);
  // A resources decision made from the spec states the size it runs: a rounding from some other size no longer applies.
  if (generated.has("resources")) kept = kept.filter((d) => d.topic !== "compute_size");

  const position = new Map(spec.decisions.map((d, i) => [d, i]));
  const rank = (d: Decision) => (topicRank(d.topic) < 0 ? Number.MAX_SAFE_INTEGER : topicRank(d.topic));
  const decisions = kept.sort((a, b) => rank(a) - rank(b) || (position.get(a) ?? spec.decisions.length) - (position.get(b) ?? spec.decisions.length));
  const next_steps = [...new Set([...domainSteps(catalog, spec.tier, spec.target, spec.domain), ...spec.next_steps.filter((s) => !isDomainStep(s))])];
  const same = JSON.stringify(decisions) === JSON.stringify(spec.decisions) && JSON.stringify(next_steps) === JSON.stringify(spec.next_steps);
  return same ? spec : { ...spec, decisions, next_steps };
}
