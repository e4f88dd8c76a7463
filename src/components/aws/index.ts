import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { buildCloudTarget, type CloudTarget } from "../cloud-target";
import { containerServiceArgs } from "../container-service";
import { NAME_RULES, ownershipTags, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { AppRunnerService } from "./app-runner-service";
import { Datastore, type DatastoreArgs } from "./datastore";
import { awsProvider, certificateProvider } from "./provider";
import { StaticSite } from "./static-site";

/** AWS's parts of the cloud skeleton: S3 and CloudFront, RDS/DocumentDB/ElastiCache, App Runner. */
const AWS: CloudTarget = {
  target: "aws",
  dashboardUrl: (spec) => `https://console.aws.amazon.com/console/home?region=${spec.region}`,
  provider: awsProvider,
  site: (spec, siteDir, opts) =>
    new StaticSite(
      "site",
      {
        siteDir,
        bucketName: physicalName([spec.project_id, spec.environment, "site"], NAME_RULES.s3Bucket),
        tags: ownershipTags(spec),
        deletionProtection: spec.protect,
        domain: spec.domain,
        // CloudFront takes a custom domain's certificate from us-east-1 only, whatever the stack's region.
        certificateProvider: spec.domain ? certificateProvider() : undefined,
      },
      opts,
    ),
  datastoreEngines: ["postgres", "mysql", "mongodb", "redis"] satisfies DatastoreArgs["engine"][],
  datastore: (spec, service, name, opts) => {
    const identifier = physicalName([spec.project_id, spec.environment, service.id], NAME_RULES.awsResource);
    return new Datastore(name, { engine: service.engine as DatastoreArgs["engine"], identifier, tags: ownershipTags(spec), production: spec.protect }, opts);
  },
  app: (spec, { bundlePath, secrets }, opts) =>
    new AppRunnerService(
      "app",
      {
        ...containerServiceArgs(spec, physicalName([spec.project_id, spec.environment], NAME_RULES.awsResource), bundlePath, secrets),
        healthCheckPath: spec.build.health_check_path,
        tags: ownershipTags(spec),
      },
      opts,
    ),
};

/** Declares the AWS target's resources for a spec, all through one AWS provider in the spec's region. */
export function buildAws(spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions): TargetOutputs {
  return buildCloudTarget(AWS, spec, context, opts);
}
