import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { dnsStep } from "./domains";
import type { RailwayDatastore } from "./provider-impl";
import { RailwayProject } from "./railway-project";

/** Type token of the component. */
export const RAILWAY_APP_TYPE = "planner:railway:RailwayApp";

/** Arguments of `RailwayApp`. */
export interface RailwayAppArgs {
  /** Railway project name (at most 63 characters). */
  readonly projectName: string;
  /** Railway environment, e.g. "production" or "staging". */
  readonly environment: string;
  /** Plain variables of the app service. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables of the app service; they stay Pulumi secrets. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Datastores Railway runs beside the app from its database templates, wired in by reference variables. @default none */
  readonly datastores?: readonly RailwayDatastore[];
  /** Railway region of every service, e.g. "us-east4-eqdc4a". @default Railway's choice */
  readonly region?: string;
  /** Port the app listens on, which its public domain routes to. @default Railway's choice */
  readonly port?: number;
  /** Custom domain of the app; its DNS records are logged as the step left to its owner. @default none */
  readonly domain?: string | null;
}

/**
 * The app on Railway: one project resource under a component, as every target has. Resource options (`protect`, ...)
 * reach the project.
 */
export class RailwayApp extends pulumi.ComponentResource {
  /** The project's page in Railway's dashboard. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** The app's public URL on the domain Railway provides its service (`https://app-production-1a2b.up.railway.app`). */
  public readonly url: pulumi.Output<string>;
  /** `https://` and the custom domain, when the spec has one. */
  public readonly customDomainUrl?: pulumi.Output<string>;
  /** What the release proof asks Railway about: the app service and the stack's environment. */
  public readonly releaseProof: { readonly serviceId: pulumi.Output<string>; readonly environmentId: pulumi.Output<string> };

  constructor(name: string, args: RailwayAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(RAILWAY_APP_TYPE, name, {}, opts);
    const project = new RailwayProject(
      `${name}-project`,
      { name: args.projectName, environment: args.environment, serviceName: "app", env: args.env, secretEnv: args.secrets, datastores: args.datastores, region: args.region, targetPort: args.port, customDomain: args.domain },
      { parent: this },
    );
    this.dashboardUrl = project.dashboardUrl;
    this.url = pulumi.interpolate`https://${project.domain}`;
    if (args.domain) {
      this.customDomainUrl = pulumi.interpolate`https://${args.domain}`;
      // The records exist only once Railway has the domain, after the plan was made: the deploy's log names them.
      pulumi.all([project.customDomain, project.customDomainRecords]).apply(([domain, records]) => {
        if (domain) pulumi.log.info(dnsStep(domain, records ?? []), this);
      });
    }
    this.releaseProof = { serviceId: project.serviceId, environmentId: project.environmentId };
    this.registerOutputs({ url: this.url, dashboardUrl: this.dashboardUrl, releaseProof: this.releaseProof });
  }
}

/**
 * Declares the Railway target's resources for a spec. The app service's source (a repository or an image) is connected
 * in Railway; the app is served on the public domain Railway provides its service, routed to the spec's port, which is
 * the stack's URL (the one verification and the release proof check), and on the spec's custom domain once its DNS
 * points at Railway.
 */
export function buildRailway(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  const datastores: RailwayDatastore[] = spec.services
    .filter((s) => s.provisioning === "managed" && s.connection_env && ["postgres", "mysql", "mongodb", "redis"].includes(s.engine ?? ""))
    .map((s) => ({ engine: s.engine as RailwayDatastore["engine"], connectionEnv: s.connection_env! }));
  const app = new RailwayApp(
    "app",
    {
      projectName: physicalName([spec.project_id, spec.environment], { maxLength: 63, separator: "-" }),
      environment: spec.tier,
      env: { ...spec.env, PORT: String(spec.build.port) },
      secrets: context.secrets,
      datastores,
      region: spec.region,
      port: spec.build.port,
      domain: spec.domain,
    },
    opts,
  );
  const urls = { app: app.url, dashboard: app.dashboardUrl, ...(app.customDomainUrl ? { custom_domain: app.customDomainUrl } : {}) };
  return { url: app.url, dashboardUrl: app.dashboardUrl, urls, releaseProof: app.releaseProof };
}
