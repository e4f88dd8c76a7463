import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import type { BuildContext, TargetOutputs } from "../types";
import { LocalApp } from "./local-app";

/** Environment variable naming the directory of product state (set by the automation layer for every engine run). */
export const STATE_DIR_ENV = "DEPLOYMENT_PLANNER_STATE_DIR";

/**
 * Directory of the local target's state for a stack: the workspace's state directory, recorded in the stack's config
 * when it is deployed (so `pulumi preview` run by hand finds the same place), else `DEPLOYMENT_PLANNER_STATE_DIR`,
 * else `.deployment-planner` in the current directory.
 */
export function localStateDir(stack: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = new pulumi.Config().get("stateDir") || env[STATE_DIR_ENV] || path.join(process.cwd(), ".deployment-planner");
  return path.join(base, "local", stack);
}

/** Declares the local target's resources for a spec. */
export function buildLocal(spec: StackSpec, context: BuildContext): TargetOutputs {
  if (!spec.artifact) {
    throw new Error(`the local target needs a packaged bundle, and the spec of ${spec.stack} has none`);
  }
  const app = new LocalApp("app", {
    stack: spec.stack,
    stateDir: localStateDir(spec.stack),
    // A static build is served from its output directory inside the bundle.
    bundlePath:
      spec.build.kind === "static" && spec.build.output_dir ? path.join(spec.artifact.path, spec.build.output_dir) : spec.artifact.path,
    bundleDigest: spec.artifact.digest,
    startCommand: spec.build.kind === "static" ? null : spec.build.start_command,
    healthCheckPath: spec.build.health_check_path,
    env: spec.env,
    secretEnv: context.secrets,
  });
  return { url: app.url, dashboardUrl: app.url, urls: { app: app.url } };
}
