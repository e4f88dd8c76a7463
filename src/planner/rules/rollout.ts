import { failure } from "../../outcome";
import { TARGETS, type RolloutSpec } from "../spec";
import { decided, type RuleOutcome, type TargetedIntent } from "./result";

/** Canary steps when the request asks for a canary without naming them, in percent of traffic. */
export const DEFAULT_CANARY_STEPS: readonly number[] = [10, 50, 100];

/** Seconds each canary step is observed when the request does not say. */
export const DEFAULT_CANARY_INTERVAL_SECONDS = 300;

/**
 * The rollout rule: all at once (the default) or a canary in percentage steps. A canary on a target without canary
 * support fails at stage `plan`, naming those that have it.
 */
export function chooseRollout(intent: TargetedIntent): RuleOutcome<RolloutSpec> {
  const { catalog, target } = intent;
  const asked = intent.request.rollout;
  let rollout: RolloutSpec;
  if (asked === undefined || asked === "all_at_once" || (typeof asked === "object" && asked.strategy === "all_at_once")) {
    rollout = { strategy: "all_at_once" };
  } else {
    const steps = asked === "canary" ? DEFAULT_CANARY_STEPS : (asked.steps ?? DEFAULT_CANARY_STEPS);
    const interval = asked === "canary" ? DEFAULT_CANARY_INTERVAL_SECONDS : (asked.step_interval_seconds ?? DEFAULT_CANARY_INTERVAL_SECONDS);
    rollout = { strategy: "canary", steps: [...steps], step_interval_seconds: interval };
    if (!catalog.targets[target].canary) {
      return failure(
        "plan",
        `rollout: ${catalog.targets[target].name} does not support canary rollouts`,
        `Use all_at_once, or a target with canary support (${TARGETS.filter((t) => catalog.targets[t].canary).join(", ")}).`,
      );
    }
  }
  const choice = rollout.strategy === "canary" ? `canary ${rollout.steps.join("% → ")}%` : "all at once";
  return decided(rollout, "rollout", choice, asked === undefined ? "default: the new release takes all traffic once healthy" : "as requested");
}
