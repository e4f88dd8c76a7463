import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "./release-identity-types";

/**
 * The shape of a cloud target's proof of release: before each request, the platform is asked (its API, or a marker
 * the release published) which release serves the URL, and the answer to the request must carry the platform's own
 * mark where the platform documents one. A proof that cannot be made is a refusal, never a pass.
 */

/** What a cloud target's proof does; `platformProof` turns it into the target's `ReleaseIdentity`. */
export interface PlatformProof {
  /** One sentence for people: what is checked. */
  readonly method: string;
  /** A response header the platform adds to every answer it serves: an answer without it came from elsewhere. */
  readonly header?: { readonly name: string; readonly platform: string };
  /** Which release the platform says serves `url`, compared with the one the stack records. */
  ask(context: IdentityContext, url: string): Promise<IdentityVerdict>;
}

/** A target's `ReleaseIdentity` from its proof: the platform is asked once per request, before it is sent. */
export function platformProof(proof: PlatformProof): ReleaseIdentity {
  return {
    proves: "release",
    method: proof.method,
    async probe(context, url) {
      const finding = await proof.ask(context, url).catch(
        (error: unknown): IdentityVerdict => ({ kind: "unproven", reason: `the platform could not be asked which release serves ${url}: ${errorText(error)}` }),
      );
      return {
        headers: {},
        check(response) {
          if (proof.header && !response.headers.get(proof.header.name)) {
            return { kind: "unproven", reason: `the answer has no ${proof.header.name} header: it did not come from ${proof.header.platform}` };
          }
          return finding;
        },
      };
    },
  };
}

/** One string of the stack's `releaseProof` output, or null when the program did not record it. */
export function proofValue(context: IdentityContext, key: string): string | null {
  const value = context.proof?.[key];
  return typeof value === "string" && value ? value : null;
}

/** The refusal for a stack whose state holds no record of what to ask the platform about. */
export function unrecorded(what: string): IdentityVerdict {
  return { kind: "unproven", reason: `the stack's state records no ${what} (deployed by an earlier version of this product): deploy it again to record it` };
}

/**
 * Compares the release the platform reports with the recorded one: the same is proven, another (or none) is another
 * release. `what` names the kind of id for people ("deployment", "revision").
 */
export function matchRelease(found: string | null, expected: string, what: string, where: string): IdentityVerdict {
  if (found === expected) return { kind: "proven", release: found };
  return {
    kind: "other_release",
    release: found,
    reason: found === null ? `${where} serves no ${what}, not ${expected} that the state records` : `${where} serves ${what} ${found}, not ${expected} that the state records`,
  };
}

/** A short reason from anything thrown: its message, never a stack trace. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options every platform client takes, so tests can answer for the platform. */
export interface ProofClientOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Time allowed for one call to the platform. @default 5 s */
  readonly timeoutMs?: number;
}

/** Reads a JSON answer from a platform's API, bounded in time; a non-2xx answer throws with its status only. */
export async function fetchJson<T>(url: string, init: RequestInit, options: ProofClientOptions = {}): Promise<T> {
  const response = await (options.fetch ?? fetch)(url, { ...init, redirect: "error", signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${new URL(url).host} answered HTTP ${response.status}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${new URL(url).host} answered something that is not JSON`);
  }
}
