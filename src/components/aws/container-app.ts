import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_AWS_CONTAINER_SERVICE, type AwsContainerService } from "../../planner/rules/aws-compute";
import type { StackSpec } from "../../planner/spec";
import type { CloudAppInputs } from "../cloud-target";
import { containerServiceArgs } from "../container-service";
import { imageBuildFor } from "../image-build";
import { NAME_RULES, ownershipTags, physicalName } from "../naming";
import { AppRunnerService } from "./app-runner-service";
import { releaseImageTag } from "./ecr-image";
import { EcsExpressService } from "./ecs-express-service";
import type { Network } from "./network";

/** The service that runs the spec's app: the one its request named, else ECS Express Mode. */
export function awsContainerService(spec: Pick<StackSpec, "target_settings">): AwsContainerService {
  return spec.target_settings.aws_container_service ?? DEFAULT_AWS_CONTAINER_SERVICE;
}

/**
 * Declares the spec's app on its AWS container service, as the component `app`: the image built from the bundle (its
 * own Dockerfile, or one generated for a Node.js app) under a tag unique to the release, and, when the stack has
 * datastores, the app placed in their network.
 */
export function awsContainerApp(spec: StackSpec, inputs: CloudAppInputs<Network>, opts: pulumi.ComponentResourceOptions): AppRunnerService | EcsExpressService {
  if (!spec.artifact) throw new Error(`the aws target builds its image from the bundle, and the spec of ${spec.stack} has none`);
  const serviceName = physicalName([spec.project_id, spec.environment], NAME_RULES.awsResource);
  const image = imageBuildFor(spec, inputs.bundlePath);
  const common = {
    ...containerServiceArgs(spec, serviceName, inputs.bundlePath, inputs.secrets),
    image,
    imageTag: releaseImageTag(spec.artifact.digest, image),
    healthCheckPath: spec.build.health_check_path,
    tags: ownershipTags(spec),
  };
  const network = inputs.network && { subnetIds: inputs.network.subnetIds, securityGroupIds: [inputs.network.appSecurityGroupId] };
  return awsContainerService(spec) === "app_runner"
    ? new AppRunnerService("app", { ...common, vpcAccess: network }, opts)
    : new EcsExpressService("app", { ...common, network }, opts);
}
