import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { buildCloudTarget, type CloudTarget } from "../cloud-target";
import { containerServiceArgs } from "../container-service";
import { imageBuildFor } from "../image-build";
import { NAME_RULES, gcpLabels, physicalName } from "../naming";
import { siteFiles } from "../site-files";
import type { BuildContext, TargetOutputs } from "../types";
import { CloudRunService } from "./cloud-run-service";
import { GcpDatastore, type GcpDatastoreArgs } from "./datastore";
import { gcpProvider } from "./provider";
import { GcpStaticSite } from "./static-site";

/** GCP's parts of the cloud skeleton: Cloud Storage behind a load balancer, Cloud SQL/Memorystore, Cloud Run. */
const GCP: CloudTarget = {
  target: "gcp",
  dashboardUrl: () => "https://console.cloud.google.com/run",
  provider: gcpProvider,
  site: (spec, siteDir, opts, releaseMarker) =>
    new GcpStaticSite(
      "site",
      {
        bucketName: physicalName([spec.project_id, spec.environment, "site"], NAME_RULES.gcpResource),
        location: spec.region.toUpperCase().startsWith("US") ? "US" : spec.region,
        labels: gcpLabels(spec),
        files: siteFiles(siteDir),
        domain: spec.domain,
        deletionProtection: spec.protect,
        releaseMarker,
      },
      opts,
    ),
  datastoreEngines: ["postgres", "mysql", "redis"] satisfies GcpDatastoreArgs["engine"][],
  datastore: (spec, service, name, opts) => {
    const instanceName = physicalName([spec.project_id, spec.environment, service.id], NAME_RULES.gcpResource);
    const engine = service.engine as GcpDatastoreArgs["engine"];
    return new GcpDatastore(name, { engine, name: instanceName, region: spec.region, labels: gcpLabels(spec), production: spec.protect }, opts);
  },
  app: (spec, { bundlePath, secrets, datastores, trafficStep }, opts) => {
    const build = imageBuildFor(spec, bundlePath);
    const sqlInstances = datastores.flatMap((d) => (d.sqlInstance ? [d.sqlInstance] : []));
    const privateNetwork = datastores.find((d) => d.privateNetwork)?.privateNetwork;
    return new CloudRunService(
      "app",
      {
        ...containerServiceArgs(spec, physicalName([spec.project_id, spec.environment], { ...NAME_RULES.gcpResource, maxLength: 49 }), build.context, secrets),
        region: spec.region,
        public: spec.public,
        labels: gcpLabels(spec),
        dockerfile: build.dockerfile,
        // Each release's image under its own tag, named by the bundle it was built from.
        imageTag: `release-${(spec.artifact?.digest ?? "").replace(/^sha256:/, "").slice(0, 12)}`,
        sqlInstances,
        ...(privateNetwork ? { privateNetwork } : {}),
        trafficStep,
      },
      opts,
    );
  },
};

/** Declares the GCP target's resources for a spec, all through one GCP provider in the spec's project and region. */
export function buildGcp(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  return buildCloudTarget(GCP, spec, context, opts);
}
