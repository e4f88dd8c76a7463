import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { fetchJson, matchRelease, platformProof, proofValue, unrecorded, type ProofClientOptions } from "../release-proof";
import { siteMarkerRelease } from "../site-marker";
import { googleAccessToken } from "./access-token";

/** Base URL of the Cloud Run Admin API (v2); `CLOUD_RUN_API_URL` overrides it. */
export const CLOUD_RUN_API_URL = "https://run.googleapis.com/v2";

/** One of the service's traffic statuses, as Cloud Run reports what serves. */
interface TrafficStatus {
  readonly type?: string;
  readonly revision?: string;
  readonly percent?: number;
  readonly tag?: string;
  readonly uri?: string;
}

/** The fields of Cloud Run's service answer the proof reads. */
export interface CloudRunServiceAnswer {
  readonly latestReadyRevision?: string;
  readonly trafficStatuses?: readonly TrafficStatus[];
}

/** The revision a traffic status sends to: its own, or for LATEST the latest ready one (a full resource name or a short one). */
function revisionOf(status: TrafficStatus, service: CloudRunServiceAnswer): string | null {
  const name = status.revision || (status.type === "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" ? service.latestReadyRevision : undefined);
  return name ? name.slice(name.lastIndexOf("/") + 1) : null;
}

/**
 * Which revision Cloud Run serves on `url`, from the service's own report (`GET /v2/{service}`, its traffic statuses).
 * A revision's tag URL serves that revision only: it must be the newest revision the program named (a canary checks
 * it there). Any other URL of the service serves every revision with a share of the traffic: each must be the one the
 * stack records.
 */
export async function cloudRunServingRevision(context: IdentityContext, url: string, options: ProofClientOptions = {}): Promise<IdentityVerdict> {
  const serviceName = proofValue(context, "service");
  const newest = proofValue(context, "revision");
  if (serviceName === null || newest === null) return unrecorded("Cloud Run service and revision");
  const env = context.env ?? process.env;
  const token = await googleAccessToken(env, options);
  const base = (env.CLOUD_RUN_API_URL || CLOUD_RUN_API_URL).replace(/\/$/, "");
  const service = await fetchJson<CloudRunServiceAnswer>(`${base}/${serviceName}`, { headers: { authorization: `Bearer ${token}` } }, options);
  const host = new URL(url).host;
  const statuses = service.trafficStatuses ?? [];
  const tagged = statuses.find((status) => status.tag && status.uri && URL.canParse(status.uri) && new URL(status.uri).host === host);
  if (tagged) return matchRelease(revisionOf(tagged, service), newest, "revision", host);
  const expected = context.expectedRelease ?? newest;
  const serving = [...new Set(statuses.filter((status) => (status.percent ?? 0) > 0).map((status) => revisionOf(status, service)))];
  if (serving.length === 1) return matchRelease(serving[0] ?? null, expected, "revision", host);
  if (serving.length === 0) return matchRelease(null, expected, "revision", host);
  const others = serving.filter((revision) => revision !== expected);
  return { kind: "other_release", release: others[0] ?? null, reason: `${host} splits its traffic between revisions ${serving.join(", ")}, not all to ${expected} that the state records` };
}

/**
 * The GCP target's proof: a Cloud Run app's serving revision as the service reports it; a static site's release
 * marker read through its URL.
 */
export function gcpReleaseProof(options: ProofClientOptions = {}): ReleaseIdentity {
  return platformProof({
    method: "Cloud Run reports which revisions serve the URL (a tag URL its own), which must be the stack's; a static site's release marker, read through its URL, must name the stack's release",
    ask: (context, url) => (proofValue(context, "kind") === "static_site" ? siteMarkerRelease(context, url, options) : cloudRunServingRevision(context, url, options)),
  });
}

/** The GCP target's proof, asking Cloud Run's API with the deploying environment's Google credentials. */
export const GCP_RELEASE_PROOF = gcpReleaseProof();
