import type { Target } from "../planner/spec";
import { AWS_RELEASE_PROOF } from "./aws/release-proof";
import { DOCKER_RELEASE_PROOF } from "./docker/release-proof";
import { GCP_RELEASE_PROOF } from "./gcp/release-proof";
import { NETLIFY_RELEASE_PROOF } from "./netlify/release-proof";
import { RAILWAY_RELEASE_PROOF } from "./railway/release-proof";
import { VERCEL_RELEASE_PROOF } from "./vercel/release-proof";
import { CHALLENGE_HEADER, checkProof, newChallenge, readIdentityKey } from "./local/release-proof";
import { localStateDir } from "./local/release-settings";
import type { ReleaseIdentity } from "./release-identity-types";

export type { IdentityContext, IdentityProbe, IdentityVerdict, ReleaseIdentity } from "./release-identity-types";

/**
 * How each target proves that the server answering a stack's URL is that stack's release, not just any server that
 * answers 2xx there (another process on a freed port, a parked domain, a stale DNS record). Health checks, `status`,
 * rollbacks and canaries ask the target's entry for every request they make.
 */

/** The local target: the supervisor signs a fresh challenge with the stack's key and names the release that answered. */
const localIdentity: ReleaseIdentity = {
  proves: "release",
  provedBy: "proved by the stack's supervisor",
  method: "the stack's supervisor signs a fresh challenge with the stack's key and names the release that answered",
  async probe(context, url) {
    const key = await readIdentityKey(localStateDir(context.stack), context.workspaceDir);
    const challenge = newChallenge();
    const port = new URL(url).port;
    return {
      headers: { [CHALLENGE_HEADER]: challenge },
      check(response) {
        const outcome = checkProof(key, challenge, port, response.headers);
        if (!outcome.proven) return { kind: "unproven", reason: `${outcome.reason}: another process may hold the stack's port` };
        if (outcome.release === null) return { kind: "other_release", release: null, reason: "the stack's supervisor answers, but runs no release" };
        if (context.expectedRelease !== null && outcome.release !== context.expectedRelease) {
          return { kind: "other_release", release: outcome.release, reason: `the stack's supervisor serves release ${outcome.release}, not ${context.expectedRelease} that the state records` };
        }
        return { kind: "proven", release: outcome.release };
      },
    };
  },
};

/** Each target's way of identifying its release; exhaustive, so a new target must say how (or that it cannot). */
export const RELEASE_IDENTITIES = {
  local: localIdentity,
  vercel: VERCEL_RELEASE_PROOF,
  netlify: NETLIFY_RELEASE_PROOF,
  docker: DOCKER_RELEASE_PROOF,
  railway: RAILWAY_RELEASE_PROOF,
  aws: AWS_RELEASE_PROOF,
  gcp: GCP_RELEASE_PROOF,
} satisfies Record<Target, ReleaseIdentity>;
