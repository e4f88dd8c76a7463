import type { Target } from "../planner/spec";
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
  /** A fresh exchange for one request to `url`. */
  probe(context: IdentityContext, url: string): Promise<IdentityProbe>;
}

/** The local target: the supervisor signs a fresh challenge with the stack's key and names the release that answered. */
const localIdentity: ReleaseIdentity = {
  proves: "release",
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

/** A platform that marks every response it serves with a header of its own (its request id). */
function platformHeader(platform: string, header: string, documented: string): ReleaseIdentity {
  return {
    proves: "platform",
    method: `${platform} answers (its ${header} response header, ${documented})`,
    async probe() {
      return {
        headers: {},
        check: (response) =>
          response.headers.get(header) ? { kind: "proven", release: null } : { kind: "unproven", reason: `the answer has no ${header} header: it did not come from ${platform}` },
      };
    },
  };
}

/** A target whose URL offers no cheap, documented proof: only the answer's status is checked. */
function statusOnly(why: string): ReleaseIdentity {
  return {
    proves: "nothing",
    method: `only the status of the answer is checked (${why})`,
    async probe() {
      return { headers: {}, check: () => ({ kind: "proven", release: null }) };
    },
  };
}

/** Each target's way of identifying its release; exhaustive, so a new target must say how (or that it cannot). */
export const RELEASE_IDENTITIES = {
  local: localIdentity,
  vercel: platformHeader("Vercel", "x-vercel-id", "documented on every deployment response"),
  netlify: platformHeader("Netlify", "x-nf-request-id", "which Netlify adds to every response it serves"),
  docker: statusOnly("a container's published port carries no identity"),
  railway: statusOnly("Railway documents no response header naming the deployment"),
  aws: statusOnly("App Runner, ECS Express Mode and CloudFront name no release in their answers"),
  gcp: statusOnly("Cloud Run names no revision in its answers; a canary checks the new revision through its tag URL"),
} satisfies Record<Target, ReleaseIdentity>;
