import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../planner/spec";
import { managedServices, type ManagedDatastore, type ManagedService } from "./container-service";
import { dockerProvider } from "./docker/provider";
import type { BuildContext, TargetOutputs, TrafficStep } from "./types";

/** What a cloud target (AWS, GCP) declares; `buildCloudTarget` decides which of them a spec needs. */
export interface CloudTarget {
  /** Target name, for errors. */
  readonly target: "aws" | "gcp";
  /** Where a person manages the deployment. */
  readonly dashboardUrl: (spec: StackSpec) => string;
  /** Makes the stack's one explicit provider from the spec. */
  readonly provider: (spec: StackSpec) => pulumi.ProviderResource;
  /** Declares the static site (static builds). */
  readonly site: (spec: StackSpec, opts: pulumi.ComponentResourceOptions) => { readonly url: pulumi.Output<string> };
  /** Engines the cloud hosts; a managed service with another engine is left to the user. */
  readonly datastoreEngines: readonly string[];
  /** Declares a managed datastore, as the component `name`, for a service with one of `datastoreEngines`. */
  readonly datastore: (spec: StackSpec, service: ManagedService, name: string, opts: pulumi.ComponentResourceOptions) => ManagedDatastore;
  /** Declares the app's container service, reading every secret (the spec's and the datastores') by reference. */
  readonly app: (
    spec: StackSpec,
    bundlePath: string,
    secrets: Readonly<Record<string, pulumi.Input<string>>>,
    opts: pulumi.ComponentResourceOptions,
    trafficStep?: TrafficStep,
  ) => { readonly url: pulumi.Output<string>; readonly revision?: pulumi.Output<string>; readonly canaryUrl?: pulumi.Output<string> };
}

/**
 * The one skeleton of the cloud targets: one explicit provider for the stack, then a static site, or managed
 * datastores and a container service that reads their connection strings as secrets.
 */
export function buildCloudTarget(cloud: CloudTarget, spec: StackSpec, context: BuildContext, opts: pulumi.ComponentResourceOptions = {}): TargetOutputs {
  const dashboardUrl = cloud.dashboardUrl(spec);
  // One provider per stack, handed to every component; the components' children inherit it with `parent`.
  const provider = cloud.provider(spec);
  const options: pulumi.ComponentResourceOptions = { ...opts, providers: [provider] };
  if (spec.build.kind === "static") {
    const site = cloud.site(spec, options);
    return { url: site.url, dashboardUrl, urls: { app: site.url, dashboard: dashboardUrl } };
  }
  if (!spec.artifact) throw new Error(`the ${cloud.target} target builds an image from the bundle, and the spec of ${spec.stack} has none`);
  const secrets: Record<string, pulumi.Input<string>> = { ...context.secrets };
  for (const service of managedServices(spec)) {
    if (!cloud.datastoreEngines.includes(service.engine)) continue;
    secrets[service.connection_env] = cloud.datastore(spec, service, `db-${service.id}`, options).connectionString;
  }
  // The app's image is built on the stack's Docker engine, through its own explicit provider too.
  const appOptions = { ...options, providers: [provider, dockerProvider(spec)] };
  const app = cloud.app(spec, context.bundleDir ?? spec.artifact.path, secrets, appOptions, context.trafficStep);
  const urls = { app: app.url, dashboard: dashboardUrl, ...(app.canaryUrl ? { canary: app.canaryUrl } : {}) };
  return { url: app.url, dashboardUrl, urls, ...(app.revision ? { revision: app.revision } : {}) };
}
