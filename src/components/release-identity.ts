import type { Target } from "../planner/spec";
import { AWS_RELEASE_PROOF } from "./aws/release-proof";
import { DOCKER_RELEASE_PROOF } from "./docker/release-proof";
import { GCP_RELEASE_PROOF } from "./gcp/release-proof";
import { NETLIFY_RELEASE_PROOF } from "./netlify/release-proof";
import { RAILWAY_RELEASE_PROOF } from "./railway/release-proof";
import { VERCEL_RELEASE_PROOF } from "./vercel/release-proof";
import { CHALLENGE_HEADER, checkProof, newChallenge, readIdentityKey } from "./local/release-proof";
import { localStateDir } from "./local/release-settings";

/**
 * How each target proves that the server answering a stack's URL is that stack's release, not just any server that
 * answers 2xx there (another process on a freed port, a parked domain, a stale DNS record). Health checks, `status`,
 * rollbacks and canaries ask the target's entry for every request they make.
 */

/** What a check knows about the stack whose URL it requests. */
export interface IdentityContext {
  readonly stack: string;
  /** The workspace the stack's local state lives in. */
  readonly workspaceDir: string;
  /** The release the stack's state records as serving (its `release` output), when the target reports one. */
  readonly expectedRelease: string | null;
  /**
   * The stack's `releaseProof` output: what a cloud target's proof asks its platform about (site, service, container
   * ids), as the program recorded it. Empty for a stack deployed before the program recorded it.
   */
  readonly proof?: Readonly<Record<string, unknown>>;
  /** The environment the platform's credentials come from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What one response proves. */
export type IdentityVerdict =
  /** The stack's release answered; `release` names it where the target can tell (null: it cannot, or none runs). */
  | { readonly kind: "proven"; readonly release: string | null }
  /** The stack's own server answered, but with another release than the state records (or none). */
  | { readonly kind: "other_release"; readonly release: string | null; readonly reason: string }
  /** Something that cannot prove it is the stack's server answered. */
  | { readonly kind: "unproven"; readonly reason: string };

/** The identity exchange of one request: the headers to send, then what the response proves. */
export interface IdentityProbe {
  readonly headers: Readonly<Record<string, string>>;
  check(response: Response): IdentityVerdict;
}

/** How a target's release is identified on its URL. */
export interface ReleaseIdentity {
  /** How much an answer proves: the very release, the platform that serves the stack, or nothing beyond its status. */
  readonly proves: "release" | "platform" | "nothing";
  /** One sentence for people: what is checked. */
  readonly method: string;
  /** A short phrase for people, where `method` is too long to follow a serving release's line. @default method */
  readonly provedBy?: string;
  /** A fresh exchange for one request to `url`. */
  probe(context: IdentityContext, url: string): Promise<IdentityProbe>;
}

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
