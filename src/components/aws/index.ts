import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, ownershipTags, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { AppRunnerService } from "./app-runner-service";
import { Datastore } from "./datastore";
import { StaticSite } from "./static-site";

/** Declares the AWS target's resources for a spec. */
export function buildAws(spec: StackSpec, context: BuildContext): TargetOutputs {
  const tags = ownershipTags(spec);
  const dashboardUrl = `https://console.aws.amazon.com/console/home?region=${spec.region}`;
  if (spec.build.kind === "static") {
    const site = new StaticSite("site", {
      bucketName: physicalName([spec.project_id, spec.environment, "site"], NAME_RULES.s3Bucket),
      tags,
      protect: spec.protect,
      domain: spec.domain,
    });
    return { url: site.url, dashboardUrl, urls: { app: site.url, dashboard: dashboardUrl } };
  }
  if (!spec.artifact) throw new Error(`the aws target builds an image from the bundle, and the spec of ${spec.stack} has none`);
  const secrets: Record<string, pulumi.Input<string>> = { ...context.secrets };
  for (const service of spec.services) {
    if (service.provisioning !== "managed" || !service.engine || service.engine === "sqlite" || !service.connection_env) continue;
    const store = new Datastore(`db-${service.id}`, {
      engine: service.engine as "postgres" | "mysql" | "mongodb" | "redis",
      identifier: physicalName([spec.project_id, spec.environment, service.id], NAME_RULES.awsResource),
      tags,
      protect: spec.protect,
    });
    secrets[service.connection_env] = store.connectionString;
  }
  const app = new AppRunnerService("app", {
    serviceName: physicalName([spec.project_id, spec.environment], NAME_RULES.awsResource),
    bundlePath: context.bundleDir ?? spec.artifact.path,
    port: spec.build.port,
    healthCheckPath: spec.build.health_check_path,
    cpu: spec.resources.cpu,
    memoryMb: spec.resources.memory_mb,
    minInstances: spec.resources.min_instances,
    maxInstances: spec.resources.max_instances,
    env: spec.env,
    secrets,
    tags,
    protect: spec.protect,
  });
  return { url: app.url, dashboardUrl, urls: { app: app.url, dashboard: dashboardUrl } };
}
