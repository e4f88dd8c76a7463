import type { CanarySpec, SteppedCanaryDeps, SteppedCanaryOutcome, SteppedUpdate } from "../runtime-types";

export type { SteppedCanaryAbort, SteppedCanaryDeps, SteppedCanaryOutcome } from "../runtime-types";

/**
 * A canary on a target that splits traffic in its own service (Cloud Run): one engine update per step moves the new
 * revision's share (the state records every step), then `min_requests` requests to the URL that reaches only the new
 * revision (its tag URL; the app URL at 100%) are spread over the step's interval. More errors than the limit allows
 * of `min_requests` abort at once: an update gives the serving revision all traffic back. A first deploy has nothing
 * to split from and takes all traffic.
 */
export async function runSteppedCanary<U extends SteppedUpdate>(rollout: CanarySpec, deps: SteppedCanaryDeps<U>): Promise<SteppedCanaryOutcome<U>> {
  const stableRevision = await deps.currentRevision();
  if (stableRevision === null) return { status: "completed", up: await deps.update(undefined) };
  let up: U | null = null;
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
