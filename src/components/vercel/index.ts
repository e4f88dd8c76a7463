import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { vercelFramework } from "./frameworks";
import { vercelProvider } from "./provider";
import { VercelApp } from "./vercel-app";

/**
 * Declares the Vercel target's resources for a spec, all through one Vercel provider for the spec's team.
 *
 * A public app's URL is reported as `urls.app`, which the deploy verifies. A private one (`public: false`) answers 401
 * to anyone not logged in to Vercel with access to the project, so its URL is reported as `urls.protected_app` instead:
 * an outside health check could only ever see the login wall.
 */
export function buildVercel(spec: StackSpec, context: BuildContext, opts: pulumi.ComponentResourceOptions = {}): TargetOutputs {
  const framework = vercelFramework(spec.build);
  const app = new VercelApp(
    "app",
    {
      projectName: physicalName([spec.project_id, spec.environment], NAME_RULES.vercelProject),
      framework,
      functionRegion: spec.region,
      installCommand: spec.build.install_command,
      buildCommand: spec.build.build_command,
      // A preset knows where its framework writes the site (Angular's dist/<app>/browser, Next.js and Nuxt through
      // Vercel's build output), which the catalog's generic directory may not match; only "Other" is told.
      outputDirectory: framework === null && spec.build.kind === "static" ? spec.build.output_dir : null,
      tier: spec.tier,
      public: spec.public,
      env: spec.env,
      secrets: context.secrets,
      bundlePath: context.bundleDir,
      domain: spec.domain,
    },
    { ...opts, providers: [vercelProvider(spec)] },
  );
  const urls: Record<string, pulumi.Output<string>> = { [app.isPublic ? "app" : "protected_app"]: app.url, dashboard: app.dashboardUrl };
  // The release is the deployment: its proof asks Vercel which deployment the URL serves, in the provider's team.
  const team = spec.target_settings.vercel_team ?? (process.env.VERCEL_TEAM || "");
  return { url: app.url, dashboardUrl: app.dashboardUrl, urls, ...(app.deploymentId ? { release: app.deploymentId, releaseProof: { team } } : {}) };
}
