import { describe, expect, it } from "vitest";
import type { TrafficStep } from "../../src/components/types";
import type { UpResult } from "../../src/automation/workspace/operation-types";
import { runSteppedCanary, type SteppedCanaryDeps } from "../../src/components/gcp/stepped-canary";

const ROLLOUT = { strategy: "canary" as const, steps: [10, 50, 100], step_interval_seconds: 30, max_error_rate: 0.05, min_requests: 20 };

/**
 * A mock of the world a Cloud Run canary runs in (no cloud here): each update returns the outputs Cloud Run would,
 * and the new revision's tag URL answers as `canaryAnswers` says. Records every update's traffic step and probe.
 */
function mockCloudRun(options: { current: string | null; canaryAnswers: (n: number) => boolean }) {
  const updates: (TrafficStep | undefined)[] = [];
  const probes: string[] = [];
  let version = 4;
  const deps: SteppedCanaryDeps = {
    currentRevision: async () => options.current,
    update: async (step) => {
      updates.push(step);
      version += 1;
      const split = step !== undefined && step.canaryPercent < 100;
      return {
        stack: "ledger.production",
        changeSummary: { update: 1 },
        outputs: {
          url: "https://ledger-production-abc-uc.a.run.app",
          urls: { app: "https://ledger-production-abc-uc.a.run.app", ...(split ? { canary: "https://canary---ledger-production-abc-uc.a.run.app" } : {}) },
          revision: "ledger-production-newnewnewnew",
        },
        version,
        durationMs: 1,
        logFile: "/dev/null",
        repairs: [],
      } satisfies UpResult;
    },
    probe: async (url) => {
      probes.push(url);
      return options.canaryAnswers(probes.length);
    },
    sleep: async () => undefined,
    onProgress: () => undefined,
  };
  return { deps, updates, probes };
}

describe("a stepped canary (Cloud Run) under a mock of the cloud", () => {
  it("moves traffic step by step from the serving revision, checking the new one through its tag URL between steps", async () => {
    const cloud = mockCloudRun({ current: "ledger-production-oldoldoldold", canaryAnswers: () => true });
    const outcome = await runSteppedCanary(ROLLOUT, cloud.deps);
    expect(outcome.status).toBe("completed");
    expect(cloud.updates).toEqual([
      { canaryPercent: 10, stableRevision: "ledger-production-oldoldoldold" },
      { canaryPercent: 50, stableRevision: "ledger-production-oldoldoldold" },
      { canaryPercent: 100, stableRevision: "ledger-production-oldoldoldold" },
    ]);
    expect(cloud.probes).toHaveLength(60);
    expect(cloud.probes.slice(0, 40).every((url) => url.startsWith("https://canary---"))).toBe(true);
    expect(cloud.probes.slice(40).every((url) => url === "https://ledger-production-abc-uc.a.run.app")).toBe(true);
  });

  it("gives the serving revision all traffic back as soon as the errors exceed the limit", async () => {
    const cloud = mockCloudRun({ current: "ledger-production-oldoldoldold", canaryAnswers: (n) => n <= 3 });
    const outcome = await runSteppedCanary(ROLLOUT, cloud.deps);
    expect(outcome.status).toBe("aborted");
    expect(cloud.updates).toEqual([
      { canaryPercent: 10, stableRevision: "ledger-production-oldoldoldold" },
      { canaryPercent: 0, stableRevision: "ledger-production-oldoldoldold" },
    ]);
    // Two failures of 20 requests is over 5%, certain once two came back: the abort does not wait for the rest.
    expect(outcome.status === "aborted" && outcome.abort).toMatchObject({ step: 1, weight_percent: 10, requests: 5, errors: 2 });
  });

  it("lets a first deploy take all traffic: there is no revision to split from", async () => {
    const cloud = mockCloudRun({ current: null, canaryAnswers: () => false });
    expect((await runSteppedCanary(ROLLOUT, cloud.deps)).status).toBe("completed");
    expect(cloud.updates).toEqual([undefined]);
    expect(cloud.probes).toEqual([]);
  });
});
