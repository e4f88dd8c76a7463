import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { fetchJson, matchRelease, platformProof, proofValue, unrecorded, type ProofClientOptions } from "../release-proof";
import { NETLIFY_API_URL } from "./api";

/** The fields of Netlify's site answer the proof reads: the deploy the site's URL publishes. */
interface NetlifySiteAnswer {
  readonly published_deploy?: { readonly id?: string } | null;
}

/** The deploy id of a deploy permalink host (`<deploy_id>--<site>.netlify.app`), else null. */
export function permalinkDeployId(host: string): string | null {
  const match = /^([0-9a-z-]+?)--[0-9a-z-]+\.netlify\.app$/i.exec(host);
  return match ? match[1]! : null;
}

/**
 * Which deploy Netlify serves on `url`. A deploy's own permalink (`https://<deploy_id>--<site>.netlify.app`) serves
 * that deploy and no other, so its host names the deploy; any other URL of the site (netlify.app or a custom domain)
 * serves the site's published deploy, which Netlify's API reports (`GET /sites/{site_id}`, `published_deploy.id`).
 */
export async function netlifyServedDeploy(context: IdentityContext, url: string, options: ProofClientOptions = {}): Promise<IdentityVerdict> {
  const expected = context.expectedRelease || null;
  if (expected === null) return unrecorded("Netlify deploy id");
  const host = new URL(url).host;
  const permalink = permalinkDeployId(host);
  if (permalink !== null) return matchRelease(permalink, expected, "deploy", host);
  const siteId = proofValue(context, "siteId");
  if (siteId === null) return unrecorded("Netlify site id");
  const env = context.env ?? process.env;
  const token = env.NETLIFY_AUTH_TOKEN;
  if (!token) return { kind: "unproven", reason: "NETLIFY_AUTH_TOKEN is not set, so Netlify cannot be asked which deploy the site publishes" };
  const base = (env.NETLIFY_API_URL || NETLIFY_API_URL).replace(/\/$/, "");
  const site = await fetchJson<NetlifySiteAnswer>(`${base}/sites/${encodeURIComponent(siteId)}`, { headers: { authorization: `Bearer ${token}` } }, options);
  const published = typeof site.published_deploy?.id === "string" ? site.published_deploy.id : null;
  return matchRelease(published, expected, "deploy", host);
}

/**
 * The Netlify target's proof: the answer carries Netlify's `x-nf-request-id` header (on every response Netlify serves),
 * and the deploy that URL serves (its permalink's, or the site's published deploy) is the one the stack recorded.
 */
export function netlifyReleaseProof(options: ProofClientOptions = {}): ReleaseIdentity {
  return platformProof({
    method: "Netlify's API names the deploy the site publishes (a deploy permalink names its own), which must be the stack's recorded deploy, and the answer carries Netlify's x-nf-request-id header",
    header: { name: "x-nf-request-id", platform: "Netlify" },
    ask: (context, url) => netlifyServedDeploy(context, url, options),
  });
}

/** The Netlify target's proof, asking Netlify's API. */
export const NETLIFY_RELEASE_PROOF = netlifyReleaseProof();
