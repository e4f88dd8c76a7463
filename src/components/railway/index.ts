import type { StackSpec } from "../../planner/spec";
import type { BuildContext, TargetOutputs } from "../types";

/**
 * Declares the Railway target's resources for a spec. Railway has no maintained Pulumi provider; this product's own
 * provider over Railway's GraphQL API is not part of this version, so a deployment to Railway stops here with a clear error
 * (planning, credential checks and every other target are unaffected).
 */
export function buildRailway(spec: StackSpec, _context: BuildContext): TargetOutputs {
  throw new Error(
    `the railway target cannot deploy ${spec.stack} yet: its provider over Railway's GraphQL API is not available in this version; choose another target (for example 'target: vercel' or 'target: aws') or plan only`,
  );
}
