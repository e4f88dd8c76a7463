import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../planner/spec";
import { managedServices, type ManagedDatastore, type ManagedService } from "./container-service";
import { dockerProvider } from "./docker/provider";
import { publishedDirectory } from "./site-files";
import { releaseMarker, type ReleaseMarker } from "./site-marker";
import type { BuildContext, TargetOutputs, TrafficStep } from "./types";

/** What a cloud's app declaration receives besides the spec: where the bundle is, the secrets, and what it connects to. */
export interface CloudAppInputs<Network> {
  /** Directory of the unpacked bundle on the deploying machine: the image's build context. */
  readonly bundlePath: string;
  /** Every secret variable (the spec's and the datastores' connection strings), already wrapped as secrets. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  /** The datastores declared for the app, so it can be connected to them (connectors, mounts, permissions). */
  readonly datastores: readonly ManagedDatastore[];
  /** The stack's network, when the cloud declared one for its datastores; undefined without datastores. */
  readonly network: Network | undefined;
  /** The canary step of a stepped rollout, on clouds that split traffic themselves. */
  readonly trafficStep?: TrafficStep;
}

/** What a cloud target (AWS, GCP) declares; `buildCloudTarget` decides which of them a spec needs. */
export interface CloudTarget<Network = undefined> {
  /** Target name, for errors. */
  readonly target: "aws" | "gcp";
  /** Where a person manages the deployment. */
  readonly dashboardUrl: (spec: StackSpec) => string;
  /** Makes the stack's one explicit provider from the spec. */
  readonly provider: (spec: StackSpec) => pulumi.ProviderResource;
  /** Declares the static site (static builds), publishing every file of `siteDir` and the release's marker. */
  readonly site: (spec: StackSpec, siteDir: string, opts: pulumi.ComponentResourceOptions, marker: ReleaseMarker) => { readonly url: pulumi.Output<string> };
  /** Engines the cloud hosts; a managed service with another engine is left to the user. */
  readonly datastoreEngines: readonly string[];
  /**
   * Declares what the app and its datastores share to reach each other (security groups, VPC access), once per stack
   * and only when the spec has datastores. @default nothing shared
   */
  readonly network?: (spec: StackSpec, opts: pulumi.ComponentResourceOptions) => Network;
  /** Declares a managed datastore, as the component `name`, for a service with one of `datastoreEngines`. */
  readonly datastore: (spec: StackSpec, service: ManagedService, name: string, opts: pulumi.ComponentResourceOptions, network: Network | undefined) => ManagedDatastore;
  /** Declares the app's container service, reading every secret (the spec's and the datastores') by reference. */
  readonly app: (
    spec: StackSpec,
    inputs: CloudAppInputs<Network>,
    opts: pulumi.ComponentResourceOptions,
  ) => {
    readonly url: pulumi.Output<string>;
    readonly revision?: pulumi.Output<string>;
    readonly canaryUrl?: pulumi.Output<string>;
    /** The release that serves, as the platform names it (a revision, an image digest). */
    readonly release: pulumi.Output<string>;
    /** What the target's release proof asks the platform about. */
    readonly releaseProof: Readonly<Record<string, pulumi.Input<string>>>;
  };
}

/**
 * The one skeleton of the cloud targets: one explicit provider for the stack, then a static site publishing the
 * bundle's files, or managed datastores and a container service that reads their connection strings as secrets.
 */
export function buildCloudTarget<Network>(cloud: CloudTarget<Network>, spec: StackSpec, context: BuildContext, opts: pulumi.ComponentResourceOptions = {}): TargetOutputs {
  const dashboardUrl = cloud.dashboardUrl(spec);
  // One provider per stack, handed to every component; the components' children inherit it with `parent`.
  const provider = cloud.provider(spec);
  const options: pulumi.ComponentResourceOptions = { ...opts, providers: [provider] };
  if (!spec.artifact) throw new Error(`the ${cloud.target} target publishes the bundle, and the spec of ${spec.stack} has none`);
  const bundlePath = context.bundleDir ?? spec.artifact.path;
  if (spec.build.kind === "static") {
    const marker = releaseMarker(spec);
    const site = cloud.site(spec, publishedDirectory(spec, bundlePath), options, marker);
    return { url: site.url, dashboardUrl, urls: { app: site.url, dashboard: dashboardUrl }, release: marker.release, releaseProof: { kind: "static_site" } };
  }
  const secrets: Record<string, pulumi.Input<string>> = { ...context.secrets };
  const services = managedServices(spec).filter((service) => cloud.datastoreEngines.includes(service.engine));
  const network = services.length > 0 && cloud.network ? cloud.network(spec, options) : undefined;
  const datastores: ManagedDatastore[] = [];
  for (const service of services) {
    const datastore = cloud.datastore(spec, service, `db-${service.id}`, options, network);
    secrets[service.connection_env] = datastore.connectionString;
    datastores.push(datastore);
  }
  // The app's image is built on the stack's Docker engine, through its own explicit provider too.
  const appOptions = { ...options, providers: [provider, dockerProvider(spec)] };
  const app = cloud.app(spec, { bundlePath, secrets, datastores, network, trafficStep: context.trafficStep }, appOptions);
  const urls = { app: app.url, dashboard: dashboardUrl, ...(app.canaryUrl ? { canary: app.canaryUrl } : {}) };
  return { url: app.url, dashboardUrl, urls, ...(app.revision ? { revision: app.revision } : {}), release: app.release, releaseProof: app.releaseProof };
}
