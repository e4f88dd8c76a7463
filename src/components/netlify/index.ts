import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import type { StackSpec } from "../../planner/spec";
import { physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { NetlifySite } from "./netlify-site";

/** Type token of the component. */
export const NETLIFY_APP_TYPE = "planner:netlify:NetlifyApp";

/** A static site on Netlify: the site resource under a component, as every target has. */
class NetlifyApp extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, spec: StackSpec, context: BuildContext) {
    super(NETLIFY_APP_TYPE, name, {}, {});
    const bundlePath = context.bundleDir
      ? spec.build.output_dir
        ? path.join(context.bundleDir, spec.build.output_dir)
        : context.bundleDir
      : null;
    const site = new NetlifySite(
      `${name}-site`,
      {
        name: physicalName([spec.project_id, spec.environment], { maxLength: 63, separator: "-" }),
        customDomain: spec.domain,
        env: spec.env,
        secretEnv: context.secrets,
        bundlePath,
        digest: spec.artifact?.digest ?? null,
      },
      { parent: this, protect: spec.protect },
    );
    this.url = site.url;
    this.dashboardUrl = site.adminUrl;
    this.registerOutputs({ url: this.url, dashboardUrl: this.dashboardUrl });
  }
}

/** Declares the Netlify target's resources for a spec. */
export function buildNetlify(spec: StackSpec, context: BuildContext): TargetOutputs {
  const app = new NetlifyApp("app", spec, context);
  return { url: app.url, dashboardUrl: app.dashboardUrl, urls: { app: app.url, dashboard: app.dashboardUrl } };
}
