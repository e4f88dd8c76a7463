import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { buildCloudTarget, type CloudTarget } from "../cloud-target";
import { NAME_RULES, ownershipTags, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { awsContainerApp, awsContainerService } from "./container-app";
import { Datastore, type DatastoreArgs } from "./datastore";
import { Network } from "./network";
import { awsProvider, certificateProvider } from "./provider";
import { StaticSite } from "./static-site";

/** AWS's parts of the cloud skeleton: S3 and CloudFront, the default VPC, RDS/DocumentDB/ElastiCache, ECS Express Mode or App Runner. */
const AWS: CloudTarget<Network> = {
  target: "aws",
  dashboardUrl: (spec) => `https://console.aws.amazon.com/console/home?region=${spec.region}`,
  provider: awsProvider,
  site: (spec, siteDir, opts, releaseMarker) =>
    new StaticSite(
      "site",
      {
        siteDir,
        bucketName: physicalName([spec.project_id, spec.environment, "site"], NAME_RULES.s3Bucket),
        tags: ownershipTags(spec),
        deletionProtection: spec.protect,
        releaseMarker,
        domain: spec.domain,
        // CloudFront takes a custom domain's certificate from us-east-1 only, whatever the stack's region.
        certificateProvider: spec.domain ? certificateProvider() : undefined,
      },
      opts,
    ),
  datastoreEngines: ["postgres", "mysql", "mongodb", "redis"] satisfies DatastoreArgs["engine"][],
  network: (spec, opts) =>
    new Network(
      "network",
      {
        namePrefix: physicalName([spec.project_id, spec.environment], NAME_RULES.awsResource),
        // ECS Express Mode's load balancer reaches the tasks inside the VPC; an App Runner connector only sends out.
        appPort: awsContainerService(spec) === "ecs_express" ? spec.build.port : undefined,
        tags: ownershipTags(spec),
      },
      opts,
    ),
  datastore: (spec, service, name, opts, network) => {
    const identifier = physicalName([spec.project_id, spec.environment, service.id], NAME_RULES.awsResource);
    return new Datastore(name, { engine: service.engine as DatastoreArgs["engine"], identifier, tags: ownershipTags(spec), production: spec.protect, network }, opts);
  },
  app: awsContainerApp,
};

/** Declares the AWS target's resources for a spec, all through one AWS provider in the spec's region. */
export function buildAws(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  return buildCloudTarget(AWS, spec, context, opts);
}
