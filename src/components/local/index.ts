import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import type { BuildContext, TargetOutputs } from "../types";
import { LocalApp } from "./local-app";

/**
 * Directory of the local target's state for a stack (port, control socket, logs), relative to the workspace: the
 * provider resolves it against the workspace at run time, so neither the state nor the stack file holds a machine path.
 */
export function localStateDir(stack: string): string {
  return path.posix.join(".deployment-planner", "local", stack);
}

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
      // A static build is served from its output directory inside the bundle.
      bundlePath:
        spec.build.kind === "static" && spec.build.output_dir ? path.posix.join(spec.artifact.path, spec.build.output_dir) : spec.artifact.path,
      bundleDigest: spec.artifact.digest,
      startCommand: spec.build.kind === "static" ? null : spec.build.start_command,
      healthCheckPath: spec.build.health_check_path,
      env: spec.env,
      secretEnv: context.secrets,
    },
    opts,
  );
  return { url: app.url, dashboardUrl: app.url, urls: { app: app.url } };
}
