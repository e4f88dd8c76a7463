import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { vercelProvider } from "./provider";
import { VercelApp } from "./vercel-app";

/** Declares the Vercel target's resources for a spec, all through one Vercel provider for the spec's team. */
export function buildVercel(spec: StackSpec, context: BuildContext, opts: pulumi.ComponentResourceOptions = {}): TargetOutputs {
  const app = new VercelApp(
    "app",
    {
      projectName: physicalName([spec.project_id, spec.environment], NAME_RULES.vercelProject),
      framework: spec.build.framework,
      functionRegion: spec.region,
      installCommand: spec.build.install_command,
      buildCommand: spec.build.build_command,
      outputDirectory: spec.build.kind === "static" ? spec.build.output_dir : null,
      tier: spec.tier,
      env: spec.env,
      secrets: context.secrets,
      bundlePath: context.bundleDir,
      domain: spec.domain,
    },
    { ...opts, providers: [vercelProvider(spec)] },
  );
  return { url: app.url, dashboardUrl: app.dashboardUrl, urls: { app: app.url, dashboard: app.dashboardUrl } };
}
