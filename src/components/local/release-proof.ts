import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ReleaseIdentity } from "../release-identity-types";
import { localStateDir } from "./release-settings";
import { workspacePath } from "./supervisor-client";

/**
 * Checking the local supervisor's proof of identity (its other half is `supervisor-identity.cjs`): a request carries a
 * fresh challenge, and only the stack's supervisor, which holds the stack's key, can answer it with an HMAC of that
 * challenge, the release that served the request and its port. Whatever else answers on the port cannot.
 */

/** Request header carrying the challenge. */
export const CHALLENGE_HEADER = "x-deployment-planner-challenge";
/** Response header naming the release that served the request ("none" when no release runs). */
export const RELEASE_HEADER = "x-deployment-planner-release";
/** Response header carrying the proof. */
export const PROOF_HEADER = "x-deployment-planner-proof";
/** Path the supervisor answers itself when the request carries a challenge. */
export const IDENTITY_PATH = "/.well-known/deployment-planner/identity";
/** The release header's value when the supervisor runs no release. */
export const NO_RELEASE = "none";

/** A fresh challenge: 24 random bytes, URL-safe. */
export function newChallenge(): string {
  return randomBytes(24).toString("base64url");
}

/** The stack's identity key from its state directory (relative to the workspace, or absolute); null when absent. */
export async function readIdentityKey(stateDir: string, workspaceDir?: string): Promise<Buffer | null> {
  const text = await readFile(path.join(workspacePath(stateDir, workspaceDir), "identity.key"), "utf8").catch(() => null);
  const key = text === null ? null : Buffer.from(text.trim(), "hex");
  return key && key.length >= 16 ? key : null;
}

/** The proof the supervisor computes (the same formula as `proofOf` in supervisor-identity.cjs). */
export function expectedProof(key: Buffer, challenge: string, releaseId: string, port: number | string): string {
  return createHmac("sha256", key).update(`deployment-planner release proof\n${challenge}\n${releaseId}\n${port}`).digest("hex");
}

/** What a response to a challenged request proves. */
export type ProofOutcome =
  /** This stack's supervisor answered; `release` served the request (null: it runs no release). */
  | { readonly proven: true; readonly release: string | null }
  | { readonly proven: false; readonly reason: string };

/** Checks the identity headers of a response to a request that carried `challenge`, sent to `port`. */
export function checkProof(key: Buffer | null, challenge: string, port: number | string, headers: { get(name: string): string | null }): ProofOutcome {
  if (key === null) return { proven: false, reason: "the stack's identity key is missing from its state directory (its supervisor never started here)" };
  const release = headers.get(RELEASE_HEADER);
  const proof = headers.get(PROOF_HEADER);
  if (!release || !proof) return { proven: false, reason: "the server that answered did not prove it is this stack's supervisor" };
  const expected = Buffer.from(expectedProof(key, challenge, release, port), "hex");
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(proof) ? proof : "", "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { proven: false, reason: "the server that answered gave a proof of identity that does not match this stack's key" };
  }
  return { proven: true, release: release === NO_RELEASE ? null : release };
}

/**
 * Asks whatever answers on `127.0.0.1:<port>` to prove it is the stack's supervisor (its identity path, which never
 * reaches the app). Unproven when nothing answers, another server answers, or the key is missing.
 */
export async function proveSupervisor(stateDir: string, port: number, timeoutMs = 3_000, workspaceDir?: string): Promise<ProofOutcome> {
  const key = await readIdentityKey(stateDir, workspaceDir);
  const challenge = newChallenge();
  try {
    const response = await fetch(`http://127.0.0.1:${port}${IDENTITY_PATH}`, {
      headers: { [CHALLENGE_HEADER]: challenge },
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return checkProof(key, challenge, port, response.headers);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { proven: false, reason: `nothing answers on port ${port} (${cause?.code ?? (error as Error).message})` };
  }
}

/** The local target: the supervisor signs a fresh challenge with the stack's key and names the release that answered. */
export const LOCAL_RELEASE_PROOF: ReleaseIdentity = {
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
