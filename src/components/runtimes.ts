import type { Target } from "../planner/spec";
import { dockerRuntime } from "./docker/runtime";
import { gcpRuntime } from "./gcp/runtime";
import { localRuntime } from "./local/runtime";
import { RELEASE_IDENTITIES } from "./release-identity";
import type { TargetRuntime } from "./runtime-types";

export type { CanarySpec, RolloutStatus, SteppedCanaryAbort, SteppedCanaryDeps, SteppedCanaryOutcome, SteppedUpdate, TargetRuntime, WarmSwitch } from "./runtime-types";
export { rolloutInProgress } from "./local/canary-watch";

/**
 * Each target's runtime, beside the builders that declare its resources (registry.ts): what the target does around
 * the engine that the generic deploy, rollback and status code must not know by name. Exhaustive, so a new target
 * says at least how its release is proven; the hooks it leaves out are steps it does not have. Typed as the interface,
 * so generic code calls `TARGET_RUNTIMES[spec.target].hook?.(...)` for any target.
 */
export const TARGET_RUNTIMES: Readonly<Record<Target, TargetRuntime>> = {
  local: localRuntime,
  docker: dockerRuntime,
  gcp: gcpRuntime,
  vercel: { identity: RELEASE_IDENTITIES.vercel },
  netlify: { identity: RELEASE_IDENTITIES.netlify },
  railway: { identity: RELEASE_IDENTITIES.railway },
  aws: { identity: RELEASE_IDENTITIES.aws },
};
