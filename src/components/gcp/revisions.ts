import { createHash } from "node:crypto";
import type { TrafficStep } from "../types";

/** Longest revision name Cloud Run accepts (a DNS label). */
export const MAX_REVISION_NAME_LENGTH = 63;
/** Hex characters of the template's hash in a revision name. */
const HASH_LENGTH = 12;

/** JSON with the keys of every object sorted, so two equal templates give the same text whatever order built them. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The name of the revision a template makes: the service name, a dash and a hash of the whole template as Cloud Run
 * receives it (image digest, variables, secret references with their versions, scaling, resources, port, identity,
 * volumes, network). Cloud Run refuses a template that differs from an existing revision of the same name, so any
 * change to what runs gives a new name, and an unchanged template keeps its name (no new revision, nothing to roll
 * out). Cloud Run wants the service name and a dash in front, lower case, at most 63 characters.
 */
export function revisionName(serviceName: string, template: unknown): string {
  if (serviceName.length + 1 + HASH_LENGTH > MAX_REVISION_NAME_LENGTH) {
    throw new Error(`the Cloud Run service name ${serviceName} leaves no room for a revision suffix (at most ${MAX_REVISION_NAME_LENGTH - 1 - HASH_LENGTH} characters)`);
  }
  const hash = createHash("sha256").update(canonicalJson(template)).digest("hex").slice(0, HASH_LENGTH);
  return `${serviceName}-${hash}`;
}

/** One of Cloud Run's traffic targets, as the service's `traffics` input takes it. */
export interface TrafficTarget {
  readonly type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST" | "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION";
  readonly percent: number;
  readonly revision?: string;
  readonly tag?: string;
}

/** Whether a step splits traffic between two revisions at all, from the plain step (before the new name is known). */
export function stepSplits(step: TrafficStep | undefined): step is TrafficStep & { readonly stableRevision: string } {
  return step !== undefined && step.stableRevision !== null && step.canaryPercent < 100;
}

/**
 * Cloud Run's traffic targets for a step: a split between the serving revision (tag `stable`) and the new one (tag
 * `canary`), or everything to the newest revision when there is no step, nothing to split from, the step is the last,
 * or the new template is the serving one.
 */
export function trafficTargets(revision: string | undefined, step: TrafficStep | undefined): TrafficTarget[] {
  if (!revision || !stepSplits(step) || step.stableRevision === revision) {
    return [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }];
  }
  const canary = Math.max(0, Math.min(100, Math.round(step.canaryPercent)));
  return [
    { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: step.stableRevision, percent: 100 - canary, tag: "stable" },
    { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision, percent: canary, tag: "canary" },
  ];
}

/** The revision with the larger share of the traffic after a step (the new one when the step does not split). */
export function servingRevision(revision: string, step: TrafficStep | undefined): string {
  const [first, second] = trafficTargets(revision, step);
  if (!second) return revision;
  return (second.percent > first!.percent ? second.revision : first!.revision) ?? revision;
}
