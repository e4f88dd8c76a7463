import type { ResourcesSpec } from "../spec";
import { decided, ruled, validationFailure, type RuleOutcome, type RuleResult, type TargetedIntent } from "./result";

/**
 * The resources rule: memory, vCPUs and instance bounds — the request's, else the tier's defaults from the catalog.
 * A minimum above the maximum fails at stage `validation`.
 */
export function planResources(intent: TargetedIntent): RuleOutcome<ResourcesSpec> {
  const asked = intent.request.resources;
  const defaults = intent.catalog.tiers[intent.tier];
  const resources: ResourcesSpec = {
    memory_mb: asked?.memory_mb ?? defaults.memory_mb,
    cpu: asked?.cpu ?? defaults.cpu,
    min_instances: asked?.instances ?? asked?.min_instances ?? defaults.min_instances,
    // A minimum above the tier's maximum raises the maximum rather than failing: the request asked for no maximum.
    max_instances: asked?.instances ?? asked?.max_instances ?? Math.max(defaults.max_instances, asked?.min_instances ?? 0),
  };
  if (resources.min_instances > resources.max_instances) {
    return validationFailure([`resources.min_instances: ${resources.min_instances} is more than max_instances ${resources.max_instances}`]);
  }
  const warnings =
    intent.target === "local" && (resources.max_instances > 1 || resources.min_instances > 1) ? ["the local target runs one instance; resources.instances is ignored"] : [];
  const choice = `${resources.memory_mb} MiB, ${resources.cpu} vCPU, ${resources.min_instances}-${resources.max_instances} instances`;
  return decided(resources, "resources", choice, asked ? "as requested, defaults of the tier for the rest" : `defaults for ${intent.tier}`, { warnings });
}

/** The lifecycle rule: the environment's time-to-live and whether it is protected from accidental destroy. */
export function planLifecycle(intent: TargetedIntent): RuleResult<{ ttl_hours: number | null; protect: boolean; auto_rollback: boolean }> {
  const { tier } = intent;
  const defaults = intent.catalog.tiers[tier];
  const ttl = intent.request.ttl_hours ?? defaults.ttl_hours;
  const decisions = [];
  if (ttl !== null) decisions.push({ topic: "ttl", choice: `${ttl} hours`, reason: intent.request.ttl_hours ? "as requested" : `${tier} environments are temporary` });
  decisions.push({
    topic: "protection",
    choice: defaults.protect ? "protected" : "unprotected",
    reason: defaults.protect ? "production is protected from accidental destroy (destroy needs --force)" : `${tier} may be destroyed freely`,
  });
  const autoRollback = intent.request.auto_rollback ?? defaults.auto_rollback;
  decisions.push({
    topic: "auto_rollback",
    choice: autoRollback ? "on" : "off",
    reason:
      intent.request.auto_rollback !== undefined
        ? "as requested"
        : autoRollback
          ? `${tier} rolls back to its previous healthy version by itself when an update fails its health check`
          : `${tier} keeps a failed update in place for inspection`,
  });
  return ruled({ ttl_hours: ttl, protect: defaults.protect, auto_rollback: autoRollback }, { decisions });
}
