import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { TargetOutputs, TrafficStep } from "../../src/components/types";
import { runSteppedCanary } from "../../src/components/gcp/stepped-canary";
import type { UpResult } from "../../src/automation/workspace/operation-types";
import type { StackSpec } from "../../src/planner/spec";
import { installMocks, isolateEnvironment, valueOf } from "../support/mocks";
import { buildContextFor, EXAMPLE_BUNDLE, exampleSpec } from "../support/specs";

// The components run in this process under Pulumi's mocks (no cloud), imported only once the mocks are in place.
const mocks = installMocks();
const { buildGcp } = await import("../../src/components/gcp/index");
isolateEnvironment(["GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT"]);

const spec = (overrides: Partial<StackSpec> = {}) => exampleSpec("gcp-cloud-run.yaml", { artifact: EXAMPLE_BUNDLE, ...overrides });

/** Builds the GCP program for a spec under the mocks, with secret values and a canary step as given. */
async function deploy(stack: StackSpec, options: { secrets?: Record<string, string>; trafficStep?: TrafficStep } = {}) {
  mocks.reset();
  const context = buildContextFor(stack);
  const secrets = { ...context.secrets, ...Object.fromEntries(Object.entries(options.secrets ?? {}).map(([k, v]) => [k, pulumi.secret(v)])) };
  const outputs = buildGcp(stack, { ...context, secrets, ...(options.trafficStep ? { trafficStep: options.trafficStep } : {}) }, { protect: stack.protect });
  await mocks.settle();
  const service = mocks.ofType("gcp:cloudrunv2/service:Service")[0]!;
  return { outputs, template: service.inputs.template as { revision: string }, traffics: service.inputs.traffics };
}

/** The revision a deploy of `stack` names. */
const revisionOf = async (stack: StackSpec, options?: Parameters<typeof deploy>[1]) => (await deploy(stack, options)).template.revision;

describe("Cloud Run revision names under Pulumi's mocks", () => {
  it("gives an identical template the same name, and the stack's revision output is that name, not a secret", async () => {
    const first = await deploy(spec());
    expect(await revisionOf(spec())).toBe(first.template.revision);
    expect(await valueOf(first.outputs.revision!)).toBe(first.template.revision);
    expect(await pulumi.isSecret(pulumi.output(first.outputs.revision!))).toBe(false);
  });

  it.each<[string, Partial<StackSpec>]>([
    ["a plain variable", { env: { NODE_ENV: "production", FEATURE_FLAG: "on" } }],
    ["the scaling bounds", { resources: { memory_mb: 1024, cpu: 1, min_instances: 3, max_instances: 10 } }],
    ["the memory", { resources: { memory_mb: 2048, cpu: 1, min_instances: 2, max_instances: 10 } }],
    ["the port", { build: { ...spec().build, port: 8081 } }],
  ])("names a new revision when only %s changes (Cloud Run refuses a changed template under an old name)", async (_, change) => {
    expect(await revisionOf(spec(change))).not.toBe(await revisionOf(spec()));
  });

  it("names a new revision when only a secret's value changes, without the value in the name", async () => {
    const before = await revisionOf(spec(), { secrets: { OPENAI_API_KEY: "sk-first-value" } });
    const after = await revisionOf(spec(), { secrets: { OPENAI_API_KEY: "sk-rotated-value" } });
    expect(after).not.toBe(before);
    expect(after.includes("sk-")).toBe(false);
  });

  it("names every revision as Cloud Run requires: the service name and a dash first, lower case, at most 63 characters", async () => {
    const longProject = spec({ project_id: "a-very-long-project-name-that-runs-on-and-on", environment: "preview-feature-branch-x" });
    for (const stack of [spec(), longProject]) {
      const { template } = await deploy(stack);
      const serviceName = mocks.ofType("gcp:cloudrunv2/service:Service")[0]!.inputs.name as string;
      expect(template.revision.startsWith(`${serviceName}-`)).toBe(true);
      expect(template.revision.length).toBeLessThanOrEqual(63);
      expect(template.revision).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    }
  });
});

describe("a Cloud Run canary under Pulumi's mocks", () => {
  it("splits a step between the serving revision and the new one, reached through its canary tag", async () => {
    const next = await revisionOf(spec({ env: { NODE_ENV: "production", RELEASE: "2" } }));
    const step = await deploy(spec({ env: { NODE_ENV: "production", RELEASE: "2" } }), { trafficStep: { canaryPercent: 10, stableRevision: "ledger-production-000000000000" } });
    expect(step.traffics).toEqual([
      { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "ledger-production-000000000000", percent: 90, tag: "stable" },
      { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: next, percent: 10, tag: "canary" },
    ]);
    expect(await valueOf(step.outputs.urls!.canary!)).toMatch(/^https:\/\/canary---/);
  });

  it("keeps all traffic on the serving revision's template when it did not change: nothing to split", async () => {
    const serving = await revisionOf(spec());
    const step = await deploy(spec(), { trafficStep: { canaryPercent: 10, stableRevision: serving } });
    expect(step.traffics).toEqual([{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }]);
  });

  it("runs the stepped canary over the program's own revision names: a changed template is rolled out, an unchanged one ends at once", async () => {
    const rollout = { strategy: "canary" as const, steps: [10, 50, 100], step_interval_seconds: 1, max_error_rate: 0.05, min_requests: 2 };
    const stepsTaken = async (stack: StackSpec, serving: string) => {
      const traffics: unknown[] = [];
      const outcome = await runSteppedCanary(rollout, {
        currentRevision: async () => serving,
        update: async (trafficStep) => {
          const deployed = await deploy(stack, trafficStep ? { trafficStep } : {});
          traffics.push(deployed.traffics);
          const urls = deployed.outputs.urls as Record<string, pulumi.Input<string>>;
          const resolved = Object.fromEntries(await Promise.all(Object.entries(urls).map(async ([k, v]) => [k, await valueOf(v)])));
          return { stack: stack.stack, changeSummary: {}, outputs: { url: resolved.app, urls: resolved, revision: await valueOf((deployed.outputs as TargetOutputs).revision!) }, version: 1, durationMs: 1, logFile: "", repairs: [] } satisfies UpResult;
        },
        probe: async () => true,
        sleep: async () => undefined,
        onProgress: () => undefined,
      });
      return { status: outcome.status, traffics };
    };
    const serving = await revisionOf(spec());
    const changed = await stepsTaken(spec({ env: { NODE_ENV: "production", RELEASE: "2" } }), serving);
    expect(changed.status).toBe("completed");
    expect((changed.traffics as { percent: number }[][]).map((t) => t.map((x) => x.percent))).toEqual([[90, 10], [50, 50], [100]]);
    const unchanged = await stepsTaken(spec(), serving);
    expect(unchanged.status).toBe("completed");
    expect((unchanged.traffics as { percent: number }[][]).map((t) => t.map((x) => x.percent))).toEqual([[100], [100]]);
  });
});
