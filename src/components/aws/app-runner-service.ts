import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerServiceArgs } from "../container-service";

/** Type token of the component. */
export const AWS_APP_RUNNER_SERVICE_TYPE = "planner:aws:AppRunnerService";

/** Arguments of `AppRunnerService`. */
export interface AppRunnerServiceArgs extends ContainerServiceArgs {
  /** Path App Runner's health check requests. @default "/" */
  readonly healthCheckPath?: string;
  /** Tags put on every resource. */
  readonly tags: Readonly<Record<string, string>>;
  /** VPC connector for reaching datastores in the VPC. @default public egress only */
  readonly vpcConnectorArn?: pulumi.Input<string>;
}

const CPU_UNITS: Record<string, string> = { "0.25": "256", "0.5": "512", "1": "1024", "2": "2048", "4": "4096" };

/**
 * The app as an image in ECR run by App Runner. App Runner is chosen over ECS Fargate behind a load balancer because it
 * gives HTTPS, scaling and health checks with no VPC, load balancer or cluster to own; a datastore in the VPC is
 * reached through a VPC connector. Resource options (`protect`, the AWS provider) reach every child; the image and the
 * secrets' values are never protected, because every release replaces them.
 */
export class AppRunnerService extends pulumi.ComponentResource {
  /** The service's HTTPS URL. */
  public readonly url: pulumi.Output<string>;
  /** ARN of the App Runner service. */
  public readonly serviceArn: pulumi.Output<string>;

  constructor(name: string, args: AppRunnerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_APP_RUNNER_SERVICE_TYPE, name, {}, opts);
    const tags = { ...args.tags };
    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      { name: args.serviceName, imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, forceDelete: args.deletionProtection !== true, tags },
      { parent: this },
    );
    const image = this.createImage(name, args, repository);
    const secretArns = this.createSecrets(name, args, tags);
    const accessRole = this.createRole(name, "build.apprunner.amazonaws.com", "arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess", tags);
    const instanceRole = this.createRole(name + "-instance", "tasks.apprunner.amazonaws.com", undefined, tags);
    if (Object.keys(secretArns).length > 0) {
      new aws.iam.RolePolicy(
        `${name}-read-secrets`,
        {
          role: instanceRole.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: Object.values(secretArns) }],
          }),
        },
        { parent: this },
      );
    }
    const scaling = new aws.apprunner.AutoScalingConfigurationVersion(
      `${name}-scaling`,
      { autoScalingConfigurationName: args.serviceName.slice(0, 32), minSize: Math.max(1, args.minInstances), maxSize: Math.max(1, args.maxInstances), tags },
      { parent: this },
    );
    const service = new aws.apprunner.Service(
      `${name}-service`,
      {
        serviceName: args.serviceName,
        sourceConfiguration: {
          autoDeploymentsEnabled: false,
          authenticationConfiguration: { accessRoleArn: accessRole.arn },
          imageRepository: {
            imageRepositoryType: "ECR",
            imageIdentifier: image.repoDigest,
            imageConfiguration: {
              port: String(args.port),
              runtimeEnvironmentVariables: { ...(args.env ?? {}) },
              runtimeEnvironmentSecrets: secretArns,
            },
          },
        },
        instanceConfiguration: {
          cpu: CPU_UNITS[String(args.cpu)] ?? "1024",
          memory: String(Math.max(512, args.memoryMb)),
          instanceRoleArn: instanceRole.arn,
        },
        autoScalingConfigurationArn: scaling.arn,
        healthCheckConfiguration: { protocol: "HTTP", path: args.healthCheckPath ?? "/", interval: 10, healthyThreshold: 1, unhealthyThreshold: 3 },
        networkConfiguration: args.vpcConnectorArn ? { egressConfiguration: { egressType: "VPC", vpcConnectorArn: args.vpcConnectorArn } } : undefined,
        tags,
      },
      { parent: this },
    );
    this.url = pulumi.interpolate`https://${service.serviceUrl}`;
    this.serviceArn = service.arn;
    this.registerOutputs({ url: this.url, serviceArn: this.serviceArn });
  }

  private createImage(name: string, args: AppRunnerServiceArgs, repository: aws.ecr.Repository) {
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
    return new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${repository.repositoryUrl}:${args.serviceName}`,
        build: { context: args.bundlePath, platform: "linux/amd64" },
        registry: { server: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) },
      },
      // Every release builds a new image; protecting it would block the next deploy.
      { parent: this, protect: false },
    );
  }

  /** One Secrets Manager secret per variable; the service gets their ARNs. */
  private createSecrets(name: string, args: AppRunnerServiceArgs, tags: Record<string, string>): Record<string, pulumi.Output<string>> {
    const arns: Record<string, pulumi.Output<string>> = {};
    for (const [key, value] of Object.entries(args.secrets ?? {})) {
      const secret = new aws.secretsmanager.Secret(
        `${name}-secret-${key.toLowerCase()}`,
        { name: `${args.serviceName}/${key}`, recoveryWindowInDays: args.deletionProtection ? 30 : 0, tags },
        { parent: this },
      );
      // A changed value replaces the version; protecting it would block that deploy.
      new aws.secretsmanager.SecretVersion(
        `${name}-secret-${key.toLowerCase()}-value`,
        { secretId: secret.id, secretString: pulumi.secret(value) },
        { parent: this, protect: false },
      );
      arns[key] = secret.arn;
    }
    return arns;
  }

  private createRole(name: string, service: string, managedPolicy: string | undefined, tags: Record<string, string>) {
    return new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
        }),
        managedPolicyArns: managedPolicy ? [managedPolicy] : [],
        tags,
      },
      { parent: this },
    );
  }
}
