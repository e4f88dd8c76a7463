import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import type { StackSpec } from "../../planner/spec";
import { physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { NetlifySite } from "./netlify-site";

/** Type token of the component. */
export const NETLIFY_APP_TYPE = "planner:netlify:NetlifyApp";

/** Arguments of `NetlifyApp`. */
export interface NetlifyAppArgs {
  /** Site name: the `<name>.netlify.app` subdomain (at most 63 characters). */
  readonly siteName: string;
  /** Custom domain. @default the netlify.app URL */
  readonly domain?: string | null;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables: Pulumi secrets in state, Netlify secret variables on the site. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Directory of built files to deploy. @default no deploy (the site only) */
  readonly publishDir?: string | null;
  /** Content digest of the bundle; a new digest means a new deploy. @default none */
  readonly digest?: string | null;
}

/**
 * A static site on Netlify: the site resource under a component, as every target has. Resource options (`protect`,
 * ...) reach the site.
 */
export class NetlifyApp extends pulumi.ComponentResource {
  /** The site's URL (the custom domain's, else netlify.app). */
  public readonly url: pulumi.Output<string>;
  /** The site's page in Netlify's dashboard. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Netlify's id of the site. */
  public readonly siteId: pulumi.Output<string>;
  /** Netlify's id of the deploy this release published (empty without a bundle). */
  public readonly deployId: pulumi.Output<string>;

  constructor(name: string, args: NetlifyAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETLIFY_APP_TYPE, name, {}, opts);
    const site = new NetlifySite(
      `${name}-site`,
      {
        name: args.siteName,
        customDomain: args.domain,
        env: args.env,
        secretEnv: args.secrets,
        bundlePath: args.publishDir,
        digest: args.digest,
      },
      { parent: this },
    );
    this.url = site.url;
    this.dashboardUrl = site.adminUrl;
    this.siteId = site.siteId;
    this.deployId = site.deployId.apply((id) => id ?? "");
    this.registerOutputs({ url: this.url, dashboardUrl: this.dashboardUrl, siteId: this.siteId, deployId: this.deployId });
  }
}

/** Declares the Netlify target's resources for a spec. */
export function buildNetlify(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  // A build with an output directory is published from it; otherwise the bundle is the site as it is.
  const publishDir = context.bundleDir ? (spec.build.output_dir ? path.join(context.bundleDir, spec.build.output_dir) : context.bundleDir) : null;
  const app = new NetlifyApp(
    "app",
    {
      siteName: physicalName([spec.project_id, spec.environment], { maxLength: 63, separator: "-" }),
      domain: spec.domain,
      env: spec.env,
      secrets: context.secrets,
      publishDir,
      digest: spec.artifact?.digest ?? null,
    },
    opts,
  );
  // The release is the deploy: its proof asks Netlify which deploy the site publishes.
  return { url: app.url, dashboardUrl: app.dashboardUrl, urls: { app: app.url, dashboard: app.dashboardUrl }, release: app.deployId, releaseProof: { siteId: app.siteId } };
}
