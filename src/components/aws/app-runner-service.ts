import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fitComputeSize } from "../../planner/rules/aws-compute";
import type { ContainerServiceArgs } from "../container-service";
import type { ImageBuild } from "../image-build";
import { ecrImage } from "./ecr-image";
import { IamPropagationWait, serviceRole } from "./service-role";
import { serviceSecrets } from "./service-secrets";

/** Type token of the component. */
export const AWS_APP_RUNNER_SERVICE_TYPE = "planner:aws:AppRunnerService";

/** The AWS managed policy that lets App Runner pull the service's image from ECR. */
export const APP_RUNNER_ECR_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess";

/** Where an App Runner VPC connector sends the service's outbound traffic. */
export interface AppRunnerVpcAccess {
  /** Subnets the connector's network interfaces are placed in. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups of the connector's network interfaces. */
  readonly securityGroupIds: readonly pulumi.Input<string>[];
}

/** Arguments of `AppRunnerService`. */
export interface AppRunnerServiceArgs extends ContainerServiceArgs {
  /** How the image is built from the bundle: its own Dockerfile or a generated one (see `imageBuildFor`). */
  readonly image: ImageBuild;
  /** Tag of this release's image in ECR (see `releaseImageTag`); the service runs the pushed image by digest. */
  readonly imageTag: string;
  /** Path App Runner's health check requests. @default "/" */
  readonly healthCheckPath?: string;
  /**
   * A VPC connector for datastores inside a VPC. All of the service's outbound traffic then goes into the VPC: it
   * reaches the internet only through a NAT gateway there. @default public egress only, no VPC access
   */
  readonly vpcAccess?: AppRunnerVpcAccess;
  /** Tags put on every resource that takes them. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The app as an image in ECR run by App Runner, for AWS accounts that already use it (App Runner is closed to new
 * customers from 30 April 2026; ECS Express Mode is the default). Secrets live in Secrets Manager, read by ARN through
 * the instance role; a datastore in the VPC is reached through a VPC connector. The service is created only once both
 * roles have their policies and IAM has had time to propagate them. Resource options (`protect`, the AWS provider)
 * reach every child; the image and the secrets' values are never protected, because every release replaces them.
 */
export class AppRunnerService extends pulumi.ComponentResource {
  /** The service's HTTPS URL. */
  public readonly url: pulumi.Output<string>;
  /** ARN of the App Runner service. */
  public readonly serviceArn: pulumi.Output<string>;
  /** The release: the image the service runs, by digest (`<repository>@sha256:<digest>`). */
  public readonly release: pulumi.Output<string>;
  /** What the release proof asks AWS about: the service. */
  public readonly releaseProof: Readonly<Record<string, pulumi.Input<string>>>;

  constructor(name: string, args: AppRunnerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_APP_RUNNER_SERVICE_TYPE, name, {}, opts);
    // The planner rounds sizes onto this table already; a spec planned before it did still gets a size App Runner takes.
    const size = fitComputeSize("app_runner", args.cpu, args.memoryMb);
    if (!size) throw new Error(`App Runner has no instance with ${args.cpu} vCPU and ${args.memoryMb} MiB (at most 4 vCPU and 12288 MiB)`);
    const tags = { ...args.tags };

    const { imageDigest } = ecrImage(this, name, { repositoryName: args.serviceName, build: args.image, tag: args.imageTag, deletionProtection: args.deletionProtection, tags });
    const secrets = serviceSecrets(this, name, { namePrefix: args.serviceName, secrets: args.secrets ?? {}, deletionProtection: args.deletionProtection, tags });
    const access = serviceRole(this, `${name}-access`, { principal: "build.apprunner.amazonaws.com", managedPolicyArns: [APP_RUNNER_ECR_ACCESS_POLICY], tags });
    const instance = serviceRole(this, `${name}-instance`, { principal: "tasks.apprunner.amazonaws.com", readableSecrets: Object.values(secrets.arns), tags });
    const grants = [...access.grants, ...instance.grants];
    const propagated = new IamPropagationWait(`${name}-iam-propagation`, [access.role.arn, instance.role.arn], { parent: this, dependsOn: grants });

    const scaling = new aws.apprunner.AutoScalingConfigurationVersion(
      `${name}-scaling`,
      { autoScalingConfigurationName: args.serviceName.slice(0, 32), minSize: Math.max(1, args.minInstances), maxSize: Math.max(1, args.maxInstances), tags },
      { parent: this },
    );
    const connector = args.vpcAccess
      ? new aws.apprunner.VpcConnector(
          `${name}-vpc-connector`,
          { vpcConnectorName: args.serviceName, subnets: args.vpcAccess.subnetIds, securityGroups: [...args.vpcAccess.securityGroupIds], tags },
          { parent: this },
        )
      : undefined;
    const service = new aws.apprunner.Service(
      `${name}-service`,
      {
        serviceName: args.serviceName,
        sourceConfiguration: {
          autoDeploymentsEnabled: false,
          authenticationConfiguration: { accessRoleArn: access.role.arn },
          imageRepository: {
            imageRepositoryType: "ECR",
            imageIdentifier: imageDigest,
            imageConfiguration: {
              port: String(args.port),
              runtimeEnvironmentVariables: { ...(args.env ?? {}) },
              runtimeEnvironmentSecrets: { ...secrets.arns },
            },
          },
        },
        instanceConfiguration: { cpu: String(size.cpu * 1024), memory: String(size.memoryMb), instanceRoleArn: instance.role.arn },
        autoScalingConfigurationArn: scaling.arn,
        healthCheckConfiguration: { protocol: "HTTP", path: args.healthCheckPath ?? "/", interval: 10, healthyThreshold: 1, unhealthyThreshold: 3 },
        networkConfiguration: connector ? { egressConfiguration: { egressType: "VPC", vpcConnectorArn: connector.arn } } : undefined,
        tags,
      },
      { parent: this, dependsOn: [...grants, ...secrets.versions, propagated] },
    );
    this.url = pulumi.interpolate`https://${service.serviceUrl}`;
    this.serviceArn = service.arn;
    this.release = imageDigest;
    this.releaseProof = { kind: "app_runner", serviceArn: service.arn };
    this.registerOutputs({ url: this.url, serviceArn: this.serviceArn, release: this.release, releaseProof: this.releaseProof });
  }
}
