import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { fetchJson, matchRelease, platformProof, proofValue, unrecorded, type ProofClientOptions } from "../release-proof";

/** Default base URL of Vercel's REST API; `VERCEL_API_URL` overrides it. */
export const VERCEL_API_URL = "https://api.vercel.com";

/** The fields of Vercel's "get a deployment by ID or URL" answer the proof reads. */
interface VercelDeployment {
  readonly id?: string;
  readonly readyState?: string;
}

/**
 * Which deployment Vercel serves on `url`: Vercel's REST API answers `GET /v13/deployments/{idOrUrl}` for a hostname
 * with the deployment that hostname serves (an alias or a custom domain resolves to the deployment it points at; a
 * deployment's own URL to itself), so the stack's URL must lead to the deployment the stack recorded, and that
 * deployment must be READY.
 */
export async function vercelServedDeployment(context: IdentityContext, url: string, options: ProofClientOptions = {}): Promise<IdentityVerdict> {
  const expected = context.expectedRelease || null;
  if (expected === null) return unrecorded("Vercel deployment id");
  const env = context.env ?? process.env;
  const token = env.VERCEL_API_TOKEN;
  if (!token) return { kind: "unproven", reason: "VERCEL_API_TOKEN is not set, so Vercel cannot be asked which deployment serves the URL" };
  const team = proofValue(context, "team");
  const query = team ? `?${new URLSearchParams(team.startsWith("team_") ? { teamId: team } : { slug: team })}` : "";
  const host = new URL(url).host;
  const base = (env.VERCEL_API_URL || VERCEL_API_URL).replace(/\/$/, "");
  const deployment = await fetchJson<VercelDeployment>(`${base}/v13/deployments/${encodeURIComponent(host)}${query}`, { headers: { authorization: `Bearer ${token}` } }, options);
  const verdict = matchRelease(typeof deployment.id === "string" ? deployment.id : null, expected, "deployment", host);
  if (verdict.kind === "proven" && deployment.readyState !== "READY") {
    return { kind: "other_release", release: verdict.release, reason: `Vercel reports deployment ${expected} as ${deployment.readyState ?? "not ready"}, not READY` };
  }
  return verdict;
}

/**
 * The Vercel target's proof: the answer carries Vercel's `x-vercel-id` response header (Vercel's request id, on every
 * response it serves), and Vercel's API says the URL's host serves the deployment the stack recorded.
 */
export function vercelReleaseProof(options: ProofClientOptions = {}): ReleaseIdentity {
  return platformProof({
    method: "Vercel's API names the deployment the URL serves, which must be the stack's recorded deployment, and the answer carries Vercel's x-vercel-id header",
    header: { name: "x-vercel-id", platform: "Vercel" },
    ask: (context, url) => vercelServedDeployment(context, url, options),
  });
}

/** The Vercel target's proof, asking Vercel's API. */
export const VERCEL_RELEASE_PROOF = vercelReleaseProof();
