import type { Target } from "../planner/spec";
import { AWS_RELEASE_PROOF } from "./aws/release-proof";
import { DOCKER_RELEASE_PROOF } from "./docker/release-proof";
import { GCP_RELEASE_PROOF } from "./gcp/release-proof";
import { NETLIFY_RELEASE_PROOF } from "./netlify/release-proof";
import { RAILWAY_RELEASE_PROOF } from "./railway/release-proof";
import { VERCEL_RELEASE_PROOF } from "./vercel/release-proof";
import { LOCAL_RELEASE_PROOF } from "./local/release-proof";
import type { ReleaseIdentity } from "./release-identity-types";

export type { IdentityContext, IdentityProbe, IdentityVerdict, ReleaseIdentity } from "./release-identity-types";

/**
 * How each target proves that the server answering a stack's URL is that stack's release, not just any server that
 * answers 2xx there (another process on a freed port, a parked domain, a stale DNS record). Health checks, `status`,
 * rollbacks and canaries ask the target's entry for every request they make.
 */

/** Each target's way of identifying its release; exhaustive, so a new target must say how (or that it cannot). */
export const RELEASE_IDENTITIES = {
  local: LOCAL_RELEASE_PROOF,
  vercel: VERCEL_RELEASE_PROOF,
  netlify: NETLIFY_RELEASE_PROOF,
  docker: DOCKER_RELEASE_PROOF,
  railway: RAILWAY_RELEASE_PROOF,
  aws: AWS_RELEASE_PROOF,
  gcp: GCP_RELEASE_PROOF,
} satisfies Record<Target, ReleaseIdentity>;
