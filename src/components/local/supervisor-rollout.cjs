// A canary rollout under the local supervisor: the new release takes a growing share of the traffic in steps, each
// gated on what the supervisor observes of it (responses, 5xx, connection failures, and its own health probes).
// A step advances once it was observed for its interval with enough requests and an error rate within the limit; the
// rollout aborts as soon as the error rate is over the limit with enough requests seen, or is certain to be once they
// are (more errors than the limit allows of min_requests). Plain JavaScript.
"use strict";

/** How often the canary's health path is probed during a rollout; probes count as requests to it. */
const PROBE_INTERVAL_MS = 500;
/** How often a running step re-evaluates its gate. */
const TICK_MS = 100;
/** A rollout whose deployer went away keeps its weights this long, then aborts by itself. */
const HOLD_LIMIT_MS = 10 * 60 * 1000;

function emptyCounts() {
  return { requests: 0, errors: 0 };
}

function isError(outcome) {
  return outcome === "connection" || (typeof outcome === "number" && outcome >= 500);
}

class Rollout {
  /**
   * @param {{ stableId: string, canaryId: string, steps: number[], stepIntervalMs: number, maxErrorRate: number,
   *   minRequests: number, probe: () => Promise<string>, log: (message: string) => void }} options
   */
  constructor(options) {
    this.stableId = options.stableId;
    this.canaryId = options.canaryId;
    this.steps = options.steps;
    this.stepIntervalMs = options.stepIntervalMs;
    this.maxErrorRate = options.maxErrorRate;
    this.minRequests = options.minRequests;
    this.probe = options.probe;
    this.log = options.log;
    this.onAbort = options.onAbort || (() => undefined);
    this.stepIndex = 0;
    this.weight = 0;
    this.status = "running";
    this.reason = null;
    this.startedAt = Date.now();
    this.stepStartedAt = Date.now();
    this.heldSince = null;
    this.step = { canary: emptyCounts(), stable: emptyCounts() };
    this.total = { canary: emptyCounts(), stable: emptyCounts() };
    this.firstCanaryErrorAt = null;
    this.abortedAt = null;
    this.endedAt = null;
    this.waiters = [];
  }

  /** Which release serves the next request: the canary with the current weight's probability. */
  pick() {
    if (this.status !== "running" && this.status !== "held") return this.status === "completed" ? "canary" : "stable";
    return Math.random() * 100 < this.weight ? "canary" : "stable";
  }

  /** Counts one outcome (a status code, or "connection") of a request served by `which` ("canary" or "stable"). */
  record(which, outcome) {
    const error = isError(outcome);
    for (const counts of [this.step[which], this.total[which]]) {
      counts.requests += 1;
      if (error) counts.errors += 1;
    }
    if (error && which === "canary" && this.firstCanaryErrorAt === null) this.firstCanaryErrorAt = Date.now();
  }

  errorRate(counts) {
    return counts.requests === 0 ? 0 : counts.errors / counts.requests;
  }

  /** Runs the steps; resolves "completed", "aborted" or "held" (the deployer went away; weights stay). */
  async run(isAbandoned) {
    let lastProbe = 0;
    for (this.stepIndex = 0; this.stepIndex < this.steps.length; this.stepIndex += 1) {
      this.weight = this.steps[this.stepIndex];
      this.stepStartedAt = Date.now();
      this.step = { canary: emptyCounts(), stable: emptyCounts() };
      this.log(`canary ${this.canaryId}: step ${this.stepIndex + 1}/${this.steps.length}, ${this.weight}% of traffic`);
      for (;;) {
        if (this.status !== "running") return this.status;
        if (isAbandoned()) return this.hold();
        if (Date.now() - lastProbe >= PROBE_INTERVAL_MS) {
          lastProbe = Date.now();
          const answer = await this.probe();
          if (this.status !== "running") return this.status;
          this.record("canary", answer === "ok" ? 200 : /^HTTP (\d+)$/.test(answer) ? Number(answer.slice(5)) : "connection");
        }
        const counts = this.step.canary;
        // Errors only add up: once they exceed the limit's share of min_requests, the step's rate is over the limit by
        // the time min_requests is reached, so the abort need not wait for it.
        if (counts.errors > 0 && counts.errors > this.maxErrorRate * Math.max(this.minRequests, counts.requests)) {
          this.abort(`error rate ${(this.errorRate(counts) * 100).toFixed(1)}% over ${counts.requests} requests at ${this.weight}% of traffic (limit ${(this.maxErrorRate * 100).toFixed(1)}%)`);
          return this.status;
        }
        if (Date.now() - this.stepStartedAt >= this.stepIntervalMs && counts.requests >= this.minRequests) break;
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    }
    this.status = "completed";
    this.endedAt = Date.now();
    this.weight = 100;
    this.log(`canary ${this.canaryId}: completed; it takes all traffic`);
    this.settle();
    return this.status;
  }

  /** The deployer went away: the weights stay as they are until the next operation, or HOLD_LIMIT_MS. */
  hold() {
    this.status = "held";
    this.heldSince = Date.now();
    this.log(`canary ${this.canaryId}: its deployer went away; holding ${this.weight}% until the next operation on the stack`);
    this.holdTimer = setTimeout(() => this.abort("its deployer went away and no operation resumed it"), HOLD_LIMIT_MS);
    this.holdTimer.unref();
    return this.status;
  }

  /** The stable release takes all traffic at once; the caller stops the canary. */
  abort(reason) {
    if (this.status === "completed" || this.status === "aborted") return;
    this.status = "aborted";
    this.reason = reason;
    this.abortedAt = Date.now();
    this.endedAt = this.abortedAt;
    this.weight = 0;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.log(`canary ${this.canaryId}: aborted (${reason}); ${this.stableId} takes all traffic`);
    this.onAbort();
    this.settle();
  }

  /**
   * Completes a running rollout now, at the request of an operator: the new release takes all traffic at once and the
   * remaining steps are skipped. A held rollout has no deployer left to record the new release, so it is not completed.
   */
  complete(reason) {
    if (this.status !== "running") return false;
    this.status = "completed";
    this.reason = reason;
    this.endedAt = Date.now();
    this.weight = 100;
    this.log(`canary ${this.canaryId}: promoted now (${reason}); it takes all traffic`);
    this.settle();
    return true;
  }

  settle() {
    for (const resolve of this.waiters.splice(0)) resolve(this.status);
  }

  /** Resolves once the rollout has completed or aborted. */
  finished() {
    if (this.status === "completed" || this.status === "aborted") return Promise.resolve(this.status);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** What `status` reports about the rollout. */
  snapshot() {
    const now = Date.now();
    const stepLeftMs = Math.max(0, this.stepIntervalMs - (now - this.stepStartedAt));
    return {
      status: this.status,
      reason: this.reason,
      stable: this.stableId,
      canary: this.canaryId,
      steps: this.steps,
      step: Math.min(this.stepIndex + 1, this.steps.length),
      weight: this.weight,
      step_interval_ms: this.stepIntervalMs,
      max_error_rate: this.maxErrorRate,
      min_requests: this.minRequests,
      started_at: new Date(this.startedAt).toISOString(),
      step_started_at: new Date(this.stepStartedAt).toISOString(),
      time_left_ms: this.status === "running" || this.status === "held" ? stepLeftMs + Math.max(0, this.steps.length - this.stepIndex - 1) * this.stepIntervalMs : 0,
      step_counts: { canary: { ...this.step.canary, error_rate: this.errorRate(this.step.canary) }, stable: { ...this.step.stable, error_rate: this.errorRate(this.step.stable) } },
      total_counts: { canary: { ...this.total.canary, error_rate: this.errorRate(this.total.canary) }, stable: { ...this.total.stable, error_rate: this.errorRate(this.total.stable) } },
      first_canary_error_at: this.firstCanaryErrorAt ? new Date(this.firstCanaryErrorAt).toISOString() : null,
      aborted_at: this.abortedAt ? new Date(this.abortedAt).toISOString() : null,
      ended_at: this.endedAt ? new Date(this.endedAt).toISOString() : null,
    };
  }
}

module.exports = { Rollout, HOLD_LIMIT_MS };
