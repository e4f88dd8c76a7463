import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, gcpLabels, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { CloudRunService } from "./cloud-run-service";
import { GcpDatastore } from "./datastore";
import { GcpStaticSite } from "./static-site";

/** Declares the GCP target's resources for a spec. */
export function buildGcp(spec: StackSpec, context: BuildContext): TargetOutputs {
  const labels = gcpLabels(spec);
  const dashboardUrl = "https://console.cloud.google.com/run";
  if (spec.build.kind === "static") {
    const site = new GcpStaticSite("site", {
      bucketName: physicalName([spec.project_id, spec.environment, "site"], NAME_RULES.gcpResource),
      location: spec.region.toUpperCase().startsWith("US") ? "US" : spec.region,
      labels,
      domain: spec.domain,
      protect: spec.protect,
    });
    return { url: site.url, dashboardUrl, urls: { app: site.url, dashboard: dashboardUrl } };
  }
  if (!spec.artifact) throw new Error(`the gcp target builds an image from the bundle, and the spec of ${spec.stack} has none`);
  const secrets: Record<string, pulumi.Input<string>> = { ...context.secrets };
  for (const service of spec.services) {
    if (service.provisioning !== "managed" || !service.connection_env) continue;
    if (service.engine !== "postgres" && service.engine !== "mysql" && service.engine !== "redis") continue;
    const store = new GcpDatastore(`db-${service.id}`, {
      engine: service.engine,
      name: physicalName([spec.project_id, spec.environment, service.id], NAME_RULES.gcpResource),
      region: spec.region,
      labels,
      protect: spec.protect,
    });
    secrets[service.connection_env] = store.connectionString;
  }
  const app = new CloudRunService("app", {
    serviceName: physicalName([spec.project_id, spec.environment], { ...NAME_RULES.gcpResource, maxLength: 49 }),
    region: spec.region,
    bundlePath: context.bundleDir ?? spec.artifact.path,
    port: spec.build.port,
    cpu: spec.resources.cpu,
    memoryMb: spec.resources.memory_mb,
    minInstances: spec.resources.min_instances,
    maxInstances: spec.resources.max_instances,
    env: spec.env,
    secrets,
    public: spec.public,
    labels,
    protect: spec.protect,
  });
  return { url: app.url, dashboardUrl, urls: { app: app.url, dashboard: dashboardUrl } };
}
