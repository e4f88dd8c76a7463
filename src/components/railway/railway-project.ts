import * as pulumi from "@pulumi/pulumi";
import { lazyDynamicProvider } from "../dynamic-provider";
import { ApiBackedResource } from "../variables";
import type { RailwayDnsRecord } from "./domains";
import type { RailwayDatastore } from "./provider-impl";

const projectProvider = lazyDynamicProvider("railway", { create: "createProject", read: "readProject", update: "updateProject", delete: "deleteProject", diff: "diffProject" });

/** Arguments of `RailwayProject`. */
export interface RailwayProjectArgs {
  /** Project name. */
  readonly name: string;
  /** Railway environment, e.g. "production" or "staging". */
  readonly environment: string;
  /** Name of the app's service in the project. */
  readonly serviceName: string;
  /** Image the app runs. @default none: connect the service to its repository in Railway */
  readonly image?: string | null;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables; they stay Pulumi secrets. @default none */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Datastores run from Railway's database templates, wired into the app by reference variables. @default none */
  readonly datastores?: readonly RailwayDatastore[];
  /**
   * Railway region every service runs in, as Railway names it.
   * @default Railway's choice (the workspace's preferred region)
   * @example "europe-west4-drams3a"
   */
  readonly region?: string | null;
  /** Port the app listens on, which its public domains route to. @default Railway's choice */
  readonly targetPort?: number | null;
  /** Custom domain of the app, e.g. "shop.example.com"; Railway serves it once its DNS records are in place. @default none */
  readonly customDomain?: string | null;
}

/**
 * A Railway project with its environment, app service, datastore services and variables, through Railway's GraphQL
 * API; with a project token, the services and variables in that token's existing project and environment.
 */
export class RailwayProject extends ApiBackedResource {
  /** Railway's id of the project. */
  public declare readonly projectId: pulumi.Output<string>;
  /** The project's page in Railway's dashboard. */
  public declare readonly dashboardUrl: pulumi.Output<string>;
  /** Railway's id of the app service. */
  public declare readonly serviceId: pulumi.Output<string>;
  /** Railway's id of the stack's environment. */
  public declare readonly environmentId: pulumi.Output<string>;
  /** The app service's public domain, which Railway provides (`app-production-1a2b.up.railway.app`). */
  public declare readonly domain: pulumi.Output<string>;
  /** The custom domain as Railway serves it, or null. */
  public declare readonly customDomain: pulumi.Output<string | null>;
  /** The DNS records the custom domain's owner adds for Railway to serve it; empty without one. */
  public declare readonly customDomainRecords: pulumi.Output<RailwayDnsRecord[]>;

  constructor(name: string, args: RailwayProjectArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      name: args.name,
      environment: args.environment,
      serviceName: args.serviceName,
      image: args.image ?? null,
      env: args.env,
      secretEnv: args.secretEnv,
      datastores: [...(args.datastores ?? [])],
      region: args.region ?? null,
      targetPort: args.targetPort ?? null,
      customDomain: args.customDomain ?? null,
    };
    const outputs = ["projectId", "environmentId", "serviceId", "datastoreServiceIds", "datastoreReferences", "ownsProject", "dashboardUrl", "domain", "serviceDomainId", "customDomainRecords"];
    super(projectProvider, name, inputs, outputs, opts, "railway", "Project");
  }
}
