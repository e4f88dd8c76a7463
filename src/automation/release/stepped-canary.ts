import type { TrafficStep } from "../../components/types";
import type { RolloutSpec } from "../../planner/spec";
import type { UpResult } from "../workspace/index";

/** A canary rollout's spec. */
type CanarySpec = Extract<RolloutSpec, { strategy: "canary" }>;

/** What the stepped canary needs from the world: engine updates, the serving revision, requests, time. */
export interface SteppedCanaryDeps {
  /** The revision serving before the rollout, from the stack's outputs; null on a first deploy. */
  currentRevision(): Promise<string | null>;
  /** One engine update at this traffic step (undefined: all traffic to the new revision). */
  update(step: TrafficStep | undefined): Promise<UpResult>;
  /** One request to `url`: true when it answered 2xx/3xx. */
  probe(url: string): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  onProgress(line: string): void;
}

/** Where a stepped canary stopped and what it saw of the new revision. */
export interface SteppedCanaryAbort {
  readonly step: number;
  readonly weight_percent: number;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  readonly max_error_rate: number;
  readonly reason: string;
}

/** How a stepped canary ended: completed (the last update), or aborted with the update that took the traffic back. */
export type SteppedCanaryOutcome =
  | { readonly status: "completed"; readonly up: UpResult }
  | { readonly status: "aborted"; readonly up: UpResult; readonly abort: SteppedCanaryAbort; readonly stableRevision: string };

/**
 * A canary on a target that splits traffic in its own service (Cloud Run): one engine update per step moves the new
 * revision's share (the state records every step), then `min_requests` requests to the URL that reaches only the new
 * revision (its tag URL; the app URL at 100%) are spread over the step's interval. More errors than the limit allows
 * of `min_requests` abort at once: an update gives the serving revision all traffic back. A first deploy has nothing
 * to split from and takes all traffic.
 */
export async function runSteppedCanary(rollout: CanarySpec, deps: SteppedCanaryDeps): Promise<SteppedCanaryOutcome> {
  const stableRevision = await deps.currentRevision();
  if (stableRevision === null) return { status: "completed", up: await deps.update(undefined) };
  let up: UpResult | null = null;
  for (const [index, percent] of rollout.steps.entries()) {
    const step = { canaryPercent: percent, stableRevision };
    up = await deps.update(step);
    if (up.outputs.revision === stableRevision) {
      // The update made no new revision (nothing changed that Cloud Run runs): there is nothing to roll out.
      return { status: "completed", up: percent === 100 ? up : await deps.update(undefined) };
    }
    const urls = up.outputs.urls as Record<string, string> | undefined;
    const target = percent === 100 ? (urls?.app ?? String(up.outputs.url ?? "")) : urls?.canary;
    if (!target) throw new Error(`the update at ${percent}% reported no URL for the new revision`);
    deps.onProgress(`canary step ${index + 1}/${rollout.steps.length}: ${percent}% of traffic on the new revision; checking ${rollout.min_requests} requests over ${rollout.step_interval_seconds}s`);
    const spacing = Math.max(50, (rollout.step_interval_seconds * 1000) / rollout.min_requests);
    let errors = 0;
    for (let sent = 1; sent <= rollout.min_requests; sent += 1) {
      if (!(await deps.probe(target))) errors += 1;
      if (errors > rollout.max_error_rate * rollout.min_requests) {
        const reason = `error rate ${((errors / sent) * 100).toFixed(1)}% over ${sent} requests at ${percent}% of traffic (limit ${(rollout.max_error_rate * 100).toFixed(1)}%)`;
        deps.onProgress(`canary aborted: ${reason}; ${stableRevision} takes all traffic back`);
        const back = await deps.update({ canaryPercent: 0, stableRevision });
        const abort = { step: index + 1, weight_percent: percent, requests: sent, errors, error_rate: errors / sent, max_error_rate: rollout.max_error_rate, reason };
        return { status: "aborted", up: back, abort, stableRevision };
      }
      await deps.sleep(spacing);
    }
  }
  return { status: "completed", up: up! };
}
