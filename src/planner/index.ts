/** The planner: deployment requests in, typed stack specs out. */
export { plan, defaultSecretRef, TIER_DEFAULTS, type PlanOptions, type PlanResult, type PlannedResult, type RedeployIntent, type RedeployResult } from "./plan";
export { explainPlan } from "./explain";
export { explainSpec, fieldDecision } from "./explain-spec";
export { decisionConflict, decisionConflicts, requiredTopics } from "./spec-check";
export { planPromotion, tierOfEnvironment, type PlannedPromotion, type PromotionOptions, type PromotionSource } from "./promotion";
export { specChanges } from "./spec-diff";
export { loadCatalog, buildCatalog, normalizeName, type Catalog, type Technology, type TargetEntry, type TierDefaults } from "./catalog";
export { parseRequestText, readRequestDocument, MAX_REQUEST_BYTES, MAX_YAML_ALIASES, type RequestDocument } from "./input";
export {
  deploymentRequestSchema,
  redeployRequestSchema,
  requestSchema,
  REQUEST_REGIONS,
  type DeploymentRequest,
  type RedeployRequest,
} from "./request";
export * from "./spec";
