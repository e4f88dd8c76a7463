import { failure } from "../../outcome";
import type { Catalog } from "../catalog";
import { TARGETS, type BuildSpec, type Decision, type EnvironmentTier, type RolloutSpec, type Target } from "../spec";
import { decided, type RuleOutcome, type TargetedIntent } from "./result";

/** Canary steps when the request asks for a canary without naming them, in percent of traffic. */
export const DEFAULT_CANARY_STEPS: readonly number[] = [10, 50, 100];

/** Seconds each canary step is observed when the request does not say. */
export const DEFAULT_CANARY_INTERVAL_SECONDS = 60;

/** Share of the new release's requests that may fail before a canary aborts, when the request does not say. */
export const DEFAULT_CANARY_MAX_ERROR_RATE = 0.05;

/** Requests the new release must serve in a step before its error rate counts, when the request does not say. */
export const DEFAULT_CANARY_MIN_REQUESTS = 20;

/** The rollout an environment tier gets by default on a target for a kind of build: its tier's, where it can run. */
export function defaultRollout(catalog: Catalog, tier: EnvironmentTier, target: Target, buildKind: BuildSpec["kind"]): RolloutSpec {
  if (catalog.tiers[tier].rollout !== "canary" || !catalog.targets[target].canary.includes(buildKind)) return { strategy: "all_at_once" };
  return {
    strategy: "canary",
    steps: [...DEFAULT_CANARY_STEPS],
    step_interval_seconds: DEFAULT_CANARY_INTERVAL_SECONDS,
    max_error_rate: DEFAULT_CANARY_MAX_ERROR_RATE,
    min_requests: DEFAULT_CANARY_MIN_REQUESTS,
  };
}

/** What the `rollout` decision says it chose. */
export function rolloutChoice(rollout: RolloutSpec): string {
  return rollout.strategy === "canary" ? `canary ${rollout.steps.join("% → ")}%` : "all at once";
}

/** The gates of a canary as its decision states them. */
export function canaryGates(rollout: Extract<RolloutSpec, { strategy: "canary" }>): string {
  return `each step observed ${rollout.step_interval_seconds}s and ≥ ${rollout.min_requests} requests, abort above ${(rollout.max_error_rate * 100).toFixed(1)}% errors`;
}

/**
 * The `rollout` decision of a tier, and why (the request's, the tier's default, or the stack file's). A canary's
 * reason states its gates.
 */
export function rolloutDecision(catalog: Catalog, tier: EnvironmentTier, rollout: RolloutSpec, origin: "requested" | "default" | "stack_file"): Decision {
  const tierDefault = catalog.tiers[tier].rollout === "canary" ? "a canary" : "all at once";
  const why = origin === "requested" ? "as requested" : origin === "default" ? `default for ${tier}` : `set in the stack file; the default for ${tier} is ${tierDefault}`;
  if (rollout.strategy === "canary") return { topic: "rollout", choice: rolloutChoice(rollout), reason: `${why}; ${canaryGates(rollout)}` };
  return { topic: "rollout", choice: rolloutChoice(rollout), reason: origin === "default" ? `${why}: the new release takes all traffic once healthy` : why };
}

/**
 * The rollout rule: all at once, or a canary in percentage steps gated on the new release's error rate. The
 * environment tier gives the default (a canary for production). A canary needs a target that can split traffic for
 * this kind of build: asked for explicitly on one that cannot, it fails at stage `plan` naming the targets that can;
 * as a tier default there, the rollout falls back to all at once with a warning.
 */
export function chooseRollout(intent: TargetedIntent, buildKind: BuildSpec["kind"]): RuleOutcome<RolloutSpec> {
  const { catalog, target } = intent;
  const asked = intent.request.rollout;
  const tierDefault = catalog.tiers[intent.tier].rollout;
  const wantsCanary = asked === undefined ? tierDefault === "canary" : asked === "canary" || (typeof asked === "object" && asked.strategy === "canary");
  const origin = asked === undefined ? "default" : "requested";
  if (!wantsCanary) {
    const decision = rolloutDecision(catalog, intent.tier, { strategy: "all_at_once" }, origin);
    return decided({ strategy: "all_at_once" }, decision.topic, decision.choice, decision.reason);
  }
  const options: { steps?: readonly number[]; step_interval_seconds?: number; max_error_rate?: number; min_requests?: number } =
    typeof asked === "object" && asked.strategy === "canary" ? asked : {};
  const rollout: RolloutSpec = {
    strategy: "canary",
    steps: [...(options.steps ?? DEFAULT_CANARY_STEPS)],
    step_interval_seconds: options.step_interval_seconds ?? DEFAULT_CANARY_INTERVAL_SECONDS,
    max_error_rate: options.max_error_rate ?? DEFAULT_CANARY_MAX_ERROR_RATE,
    min_requests: options.min_requests ?? DEFAULT_CANARY_MIN_REQUESTS,
  };
  const entry = catalog.targets[target];
  if (!entry.canary.includes(buildKind)) {
    const able = TARGETS.filter((t) => catalog.targets[t].canary.includes(buildKind));
    const why = `${entry.name} cannot split traffic between two releases of a ${buildKind} build`;
    if (asked !== undefined) {
      return failure("plan", `rollout: ${why}, so it cannot run a canary`, `Use all_at_once, or a target that can run a canary of a ${buildKind} build (${able.join(", ") || "none"}).`);
    }
    return decided({ strategy: "all_at_once" }, "rollout", "all at once", `${intent.tier} defaults to a canary, but ${why}`, {
      warnings: [`rollout: ${intent.tier} defaults to a canary, but ${why}; the new release takes all traffic at once (canary-capable targets for ${buildKind}: ${able.join(", ") || "none"})`],
    });
  }
  const decision = rolloutDecision(catalog, intent.tier, rollout, origin);
  return decided(rollout, decision.topic, decision.choice, decision.reason);
}
