import type { TierDefaults } from "../catalog";
import type { Decision, EnvironmentTier, ResourcesSpec } from "../spec";
import { decided, ruled, validationFailure, type RuleOutcome, type RuleResult, type TargetedIntent } from "./result";

/**
 * Where a setting's value came from, for the reason its decision gives: the request named it, it is the environment
 * tier's default, or it was set in the stack file (by hand, or kept by a promotion) and is not the tier's default.
 */
export type SettingOrigin = "requested" | "default" | "stack_file";

/** What the `resources` decision says it chose. */
export function resourcesChoice(resources: Pick<ResourcesSpec, "memory_mb" | "cpu" | "min_instances" | "max_instances">): string {
  return `${resources.memory_mb} MiB, ${resources.cpu} vCPU, ${resources.min_instances}-${resources.max_instances} instances`;
}

/** The `resources` decision for compute of a tier, and why. */
export function resourcesDecision(tier: EnvironmentTier, defaults: TierDefaults, resources: ResourcesSpec, origin: SettingOrigin): Decision {
  const reason =
    origin === "requested" ? "as requested, defaults of the tier for the rest" : origin === "default" ? `defaults for ${tier}` : `set in the stack file; the defaults for ${tier} are ${resourcesChoice(defaults)}`;
  return { topic: "resources", choice: resourcesChoice(resources), reason };
}

/** The `ttl` decision for a time to live of a tier, or null when the environment has none. */
export function ttlDecision(tier: EnvironmentTier, defaults: TierDefaults, ttlHours: number | null, origin: SettingOrigin): Decision | null {
  if (ttlHours === null) return null;
  const reason =
    origin === "requested"
      ? "as requested"
      : origin === "default"
        ? `${tier} environments are temporary`
        : `set in the stack file; ${defaults.ttl_hours === null ? `${tier} environments have no time to live by default` : `the default for ${tier} is ${defaults.ttl_hours} hours`}`;
  return { topic: "ttl", choice: `${ttlHours} hours`, reason };
}

/** The `protection` decision of a tier, and why. Protection is never requested: the tier or the stack file sets it. */
export function protectionDecision(tier: EnvironmentTier, protect: boolean, origin: Exclude<SettingOrigin, "requested">): Decision {
  const why = protect ? "protected from accidental destroy (destroy needs --force)" : "may be destroyed freely";
  const reason = origin === "default" ? `${tier} ${protect ? "is " : ""}${why}` : `set in the stack file: ${why}; ${tier} is ${protect ? "not protected" : "protected"} by default`;
  return { topic: "protection", choice: protect ? "protected" : "unprotected", reason };
}

/** The `auto_rollback` decision of a tier, and why. */
export function autoRollbackDecision(tier: EnvironmentTier, defaults: TierDefaults, on: boolean, origin: SettingOrigin): Decision {
  const reason =
    origin === "requested"
      ? "as requested"
      : origin === "default"
        ? on
          ? `${tier} rolls back to its previous healthy version by itself when an update fails its health check`
          : `${tier} keeps a failed update in place for inspection`
        : `set in the stack file; the default for ${tier} is ${defaults.auto_rollback ? "on" : "off"}`;
  return { topic: "auto_rollback", choice: on ? "on" : "off", reason };
}

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
  const decision = resourcesDecision(intent.tier, defaults, resources, asked ? "requested" : "default");
  return decided(resources, decision.topic, decision.choice, decision.reason, { warnings });
}

/** The lifecycle rule: the environment's time-to-live and whether it is protected from accidental destroy. */
export function planLifecycle(intent: TargetedIntent): RuleResult<{ ttl_hours: number | null; protect: boolean; auto_rollback: boolean }> {
  const { tier, request } = intent;
  const defaults = intent.catalog.tiers[tier];
  const ttl = request.ttl_hours ?? defaults.ttl_hours;
  const autoRollback = request.auto_rollback ?? defaults.auto_rollback;
  const ttlChoice = ttlDecision(tier, defaults, ttl, request.ttl_hours ? "requested" : "default");
  const decisions = [
    ...(ttlChoice ? [ttlChoice] : []),
    protectionDecision(tier, defaults.protect, "default"),
    autoRollbackDecision(tier, defaults, autoRollback, request.auto_rollback !== undefined ? "requested" : "default"),
  ];
  return ruled({ ttl_hours: ttl, protect: defaults.protect, auto_rollback: autoRollback }, { decisions });
}
