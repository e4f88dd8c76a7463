/** Request factories and plan helpers shared by the planner tests. */
import { isFailure, type FailureResult } from "../../src/outcome";
import { plan, type PlannedResult } from "../../src/planner/plan";
import type { StackSpec, Target } from "../../src/planner/spec";

/** Where relative `source` paths of test requests resolve from. */
export const TEST_BASE_DIR = "/srv/requests";

/** The brief's sample deployment request (Next.js, MongoDB, Stripe to production in us-east-1), with `overrides` on top. */
export function briefRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user_id: "u-1024",
    project_id: "pf-789",
    deployment_type: "cloud_saas",
    tech_stack: ["Next.js", "MongoDB", "Stripe"],
    environment: { ENV: "production", REGION: "us-east-1" },
    ...overrides,
  };
}

/** The brief's redeploy request. */
export function redeployRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { project_id: "pf_311", target_env: "production", deployer_id: "user_129", version_name: "v3.2", ...overrides };
}

/**
 * A static site sent to an explicit target in a region (no REGION when `region` is undefined); every target hosts
 * static files, so only the region decides the outcome.
 */
export function regionRequest(target: Target | undefined, region: string | undefined, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return briefRequest({
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    ...(target ? { target } : {}),
    environment: { ENV: "production", ...(region === undefined ? {} : { REGION: region }) },
    // Production's default canary would add a fallback warning on most targets; only the region matters here.
    rollout: "all_at_once",
    ...overrides,
  });
}

/** Plans a request that must plan; fails the test with the result otherwise. */
export function plannedResult(request: unknown): PlannedResult {
  const result = plan(request, { baseDir: TEST_BASE_DIR });
  if (result.status !== "planned") throw new Error(`expected a plan, got ${JSON.stringify(result)}`);
  return result;
}

/** The spec of a request that must plan. */
export function planned(request: unknown): StackSpec {
  return plannedResult(request).spec;
}

/** Plans a request that must fail; fails the test with the result otherwise. */
export function failed(request: unknown): FailureResult {
  const result = plan(request, { baseDir: TEST_BASE_DIR });
  if (!isFailure(result)) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * Production's canary in a few seconds: tests that deploy production on the local target twice use it, so the second
 * deploy still runs a real rollout without the default's minutes of observation.
 */
export const FAST_CANARY = { strategy: "canary", steps: [50, 100], step_interval_seconds: 1, max_error_rate: 0.05, min_requests: 3 } as const;
