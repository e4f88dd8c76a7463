import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import type { BuildContext, TargetOutputs } from "../types";
import { LocalApp } from "./local-app";
import { localBundlePath, localHealthPath, localStartCommand, localStateDir } from "./release-settings";

export { localStateDir } from "./release-settings";

/** Declares the local target's resources for a spec. */
export function buildLocal(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  if (!spec.artifact) {
    throw new Error(`the local target needs a packaged bundle, and the spec of ${spec.stack} has none`);
  }
  const app = new LocalApp(
    "app",
    {
      stack: spec.stack,
      stateDir: localStateDir(spec.stack),
      bundlePath: localBundlePath(spec),
      bundleDigest: spec.artifact.digest,
      startCommand: localStartCommand(spec),
      healthCheckPath: localHealthPath(spec),
      env: spec.env,
      secretEnv: context.secrets,
      canary:
        spec.rollout.strategy === "canary"
          ? {
              steps: spec.rollout.steps,
              stepIntervalMs: spec.rollout.step_interval_seconds * 1000,
              maxErrorRate: spec.rollout.max_error_rate,
              minRequests: spec.rollout.min_requests,
            }
          : undefined,
    },
    opts,
  );
  return { url: app.url, dashboardUrl: app.url, urls: { app: app.url }, release: app.releaseId };
}
