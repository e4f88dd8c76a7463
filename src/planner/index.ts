/** The planner: deployment requests in, typed stack specs out. What the other layers use of it, and nothing more. */
export { plan, TIER_DEFAULTS, type PlanOptions, type PlanResult, type PlannedResult, type RedeployIntent, type RedeployResult } from "./plan";
export { explainPlan } from "./explain";
export { explainSpec } from "./explain-spec";
export { planPromotion } from "./promotion";
export { specChanges } from "./spec-diff";
export { readRequestDocument } from "./input";
export { identifierSchema, stackNameFor, stackSpecSchema, type StackSpec } from "./spec";
