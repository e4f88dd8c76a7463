import { failure, isFailure, type FailureResult } from "../outcome";
import { loadCatalog, type Catalog, type TierDefaults } from "./catalog";
import { parseRequestText } from "./input";
import { deploymentRequestSchema, describeIssues, isRedeployShape, redeployRequestSchema } from "./request";
import { planDeployment } from "./rules";
import { VALIDATION_FIX, validationFailure } from "./rules/result";
import { ENVIRONMENT_TIERS, stackNameFor, type EnvironmentTier, type StackSpec } from "./spec";

export { defaultSecretRef } from "./rules";

/** A redeploy request, resolved by the engine against the stack's history. */
export interface RedeployIntent {
  readonly project_id: string;
  /** Environment name (the stack is `<project_id>.<environment>`). */
  readonly environment: string;
  readonly version_name: string;
  readonly deployer_id: string;
}

/** A planned deployment. */
export interface PlannedResult {
  readonly status: "planned";
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
}

/** A redeploy request: what to redeploy, to be resolved against the stack history. */
export interface RedeployResult {
  readonly status: "redeploy";
  readonly intent: RedeployIntent;
  /** Says in words what will happen. */
  readonly summary: string;
  readonly warnings: readonly string[];
}

/** Result of `plan`: a spec, a redeploy intent, or a failure result (stage `validation` or `plan`). */
export type PlanResult = PlannedResult | RedeployResult | FailureResult;

/** Options of `plan`. */
export interface PlanOptions {
  /** Directory a relative `source` is resolved against; default the current directory. */
  readonly baseDir?: string;
  /** A catalog other than the shipped one (tests). */
  readonly catalog?: Catalog;
}

/**
 * Default compute, time-to-live and protection per environment tier, as the shipped catalog states them
 * (`tiers` in catalog.yaml). Each tier is read from the catalog when first used, so importing the planner reads no file.
 */
export const TIER_DEFAULTS: Readonly<Record<EnvironmentTier, TierDefaults>> = Object.freeze(
  Object.defineProperties(
    {} as Record<EnvironmentTier, TierDefaults>,
    Object.fromEntries(ENVIRONMENT_TIERS.map((tier) => [tier, { enumerable: true, get: () => loadCatalog().tiers[tier] }])),
  ),
);

/**
 * Plans a deployment request: parse (a deployment or a redeploy request, an object or a JSON/YAML document) → normalize →
 * rules over the catalog → a `StackSpec` with every decision and its reason. Never throws for bad input.
 */
export function plan(request: unknown, options: PlanOptions = {}): PlanResult {
  let document = request;
  if (typeof request === "string") {
    const parsed = parseRequestText(request);
    if (!parsed.ok) return parsed.failure;
    document = parsed.request;
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return failure("validation", `request: expected an object but got ${document === null ? "null" : Array.isArray(document) ? "an array" : typeof document}`, VALIDATION_FIX);
  }

  if (isRedeployShape(document)) {
    const parsed = redeployRequestSchema.safeParse(document);
    if (!parsed.success) return validationFailure(describeIssues(parsed.error.issues, document));
    const intent: RedeployIntent = {
      project_id: parsed.data.project_id,
      environment: parsed.data.target_env,
      version_name: parsed.data.version_name,
      deployer_id: parsed.data.deployer_id,
    };
    return {
      status: "redeploy",
      intent,
      summary: `redeploy ${stackNameFor(intent.project_id, intent.environment)} as ${intent.version_name} for ${intent.deployer_id}: the spec of the stack's latest successful update is applied again`,
      warnings: [],
    };
  }

  const parsed = deploymentRequestSchema.safeParse(document);
  if (!parsed.success) return validationFailure(describeIssues(parsed.error.issues, document));
  const planned = planDeployment(parsed.data, options.catalog ?? loadCatalog(), options.baseDir ?? process.cwd());
  return isFailure(planned) ? planned : { status: "planned", ...planned };
}
