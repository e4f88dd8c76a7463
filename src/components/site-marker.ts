import type { StackSpec } from "../planner/spec";
import type { IdentityContext, IdentityVerdict } from "./release-identity-types";
import { errorText, matchRelease, unrecorded, type ProofClientOptions } from "./release-proof";

/**
 * A static site's release marker: a small file the program publishes beside the site's files, naming the stack and
 * the release (its bundle's digest). Read back through the site's public URL, it shows which release that URL serves
 * (CloudFront and a Cloud Storage load balancer name none in their answers), and an old or foreign site is refused.
 */

/** Object key of the marker, beside the site's files. */
export const RELEASE_MARKER_KEY = ".well-known/deployment-planner/release.json";

/** The marker to publish for a spec, and the release id it names. */
export interface ReleaseMarker {
  readonly key: string;
  readonly content: string;
  readonly release: string;
}

/** The marker of a spec's release: the stack and its bundle's digest. */
export function releaseMarker(spec: Pick<StackSpec, "stack" | "artifact">): ReleaseMarker {
  const release = spec.artifact?.digest ?? "none";
  return { key: RELEASE_MARKER_KEY, content: `${JSON.stringify({ stack: spec.stack, release })}\n`, release };
}

/** Largest marker read; anything longer is not a marker this product wrote. */
const MAX_MARKER_BYTES = 4_096;

/** Reads the marker through the site's URL and compares it with the stack and the release the state records. */
export async function siteMarkerRelease(context: IdentityContext, url: string, options: ProofClientOptions = {}): Promise<IdentityVerdict> {
  const expected = context.expectedRelease || null;
  if (expected === null) return unrecorded("site release");
  const origin = new URL(url).origin;
  const markerUrl = `${origin}/${RELEASE_MARKER_KEY}`;
  let text: string;
  try {
    const response = await (options.fetch ?? fetch)(markerUrl, { redirect: "manual", headers: { "cache-control": "no-cache" }, signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
    text = await response.text();
    if (!response.ok) return { kind: "unproven", reason: `${markerUrl} answered HTTP ${response.status}: the site publishes no release marker of this product` };
  } catch (error) {
    return { kind: "unproven", reason: `${markerUrl} could not be read: ${errorText(error)}` };
  }
  let marker: { stack?: unknown; release?: unknown };
  try {
    if (text.length > MAX_MARKER_BYTES) throw new Error("too long");
    marker = JSON.parse(text) as typeof marker;
  } catch {
    return { kind: "unproven", reason: `${markerUrl} is not a release marker of this product` };
  }
  if (marker.stack !== context.stack) return { kind: "unproven", reason: `${origin} publishes the release marker of another stack, not ${context.stack}` };
  return matchRelease(typeof marker.release === "string" ? marker.release : null, expected, "release", origin);
}
