import type { StackSpec } from "../../planner/spec";
import type { BuildContext, TargetOutputs } from "../types";

/**
 * Declares the Netlify target's resources for a spec. Netlify has no maintained Pulumi provider; this product's own
 * provider over Netlify's HTTP API is not part of this version, so a deployment to Netlify stops here with a clear error
 * (planning, credential checks and every other target are unaffected).
 */
export function buildNetlify(spec: StackSpec, _context: BuildContext): TargetOutputs {
  throw new Error(
    `the netlify target cannot deploy ${spec.stack} yet: its provider over Netlify's HTTP API is not available in this version; choose another target (for example 'target: vercel' or 'target: aws') or plan only`,
  );
}
