import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fitComputeSize } from "../../planner/rules/aws-compute";
import type { ContainerServiceArgs } from "../container-service";
import type { ImageBuild } from "../image-build";
import { ecrImage } from "./ecr-image";
import { IamPropagationWait, serviceRole } from "./service-role";
import { serviceSecrets } from "./service-secrets";

/** Type token of the component. */
export const AWS_ECS_EXPRESS_SERVICE_TYPE = "planner:aws:EcsExpressService";

/** The AWS managed policy of an ECS task execution role: pull from ECR, write container logs. */
export const TASK_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
/** The AWS managed policy that lets ECS create an Express service's load balancer, security groups, certificate and scaling. */
export const EXPRESS_INFRASTRUCTURE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices";

/** Where an ECS Express service's tasks run, and the security groups they carry. */
export interface EcsTaskNetwork {
  /** Subnets of the tasks (at least two, in different Availability Zones). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups of the tasks. */
  readonly securityGroupIds: readonly pulumi.Input<string>[];
}

/** Arguments of `EcsExpressService`. */
export interface EcsExpressServiceArgs extends ContainerServiceArgs {
  /** How the image is built from the bundle: its own Dockerfile or a generated one (see `imageBuildFor`). */
  readonly image: ImageBuild;
  /** Tag of this release's image in ECR (see `releaseImageTag`); the service runs the pushed image by digest. */
  readonly imageTag: string;
  /** Path the load balancer's health check requests. @default "/" */
  readonly healthCheckPath?: string;
  /** Subnets and security groups of the tasks. @default Express Mode's own: the default VPC's subnets and security group */
  readonly network?: EcsTaskNetwork;
  /** Tags put on every resource that takes them. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The app as an image in ECR run by an ECS Express Mode service: Fargate tasks behind an HTTPS Application Load
 * Balancer with health checks and target-tracking scaling, all of which ECS creates and owns through the
 * infrastructure role. Secrets live in Secrets Manager and reach the container by ARN through the execution role. The
 * service is created only once both roles have their policies and IAM has had time to propagate them. Resource
 * options (`protect`, the AWS provider) reach every child; the image and the secrets' values are never protected,
 * because every release replaces them.
 */
export class EcsExpressService extends pulumi.ComponentResource {
  /** The service's HTTPS URL. */
  public readonly url: pulumi.Output<string>;
  /** ARN of the ECS service. */
  public readonly serviceArn: pulumi.Output<string>;
  /** The release: the image the service runs, by digest (`<repository>@sha256:<digest>`). */
  public readonly release: pulumi.Output<string>;
  /** What the release proof asks AWS about: the service and its cluster. */
  public readonly releaseProof: Readonly<Record<string, pulumi.Input<string>>>;

  constructor(name: string, args: EcsExpressServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_ECS_EXPRESS_SERVICE_TYPE, name, {}, opts);
    // The planner rounds sizes onto this table already; a spec planned before it did still gets a size ECS takes.
    const size = fitComputeSize("ecs_express", args.cpu, args.memoryMb);
    if (!size) throw new Error(`ECS Express Mode has no task size with ${args.cpu} vCPU and ${args.memoryMb} MiB (at most 4 vCPU and 8192 MiB)`);
    const tags = { ...args.tags };

    const { imageDigest } = ecrImage(this, name, { repositoryName: args.serviceName, build: args.image, tag: args.imageTag, deletionProtection: args.deletionProtection, tags });
    const secrets = serviceSecrets(this, name, { namePrefix: args.serviceName, secrets: args.secrets ?? {}, deletionProtection: args.deletionProtection, tags });
    const execution = serviceRole(this, `${name}-execution`, {
      principal: "ecs-tasks.amazonaws.com",
      managedPolicyArns: [TASK_EXECUTION_POLICY],
      readableSecrets: Object.values(secrets.arns),
      tags,
    });
    const infrastructure = serviceRole(this, `${name}-infrastructure`, { principal: "ecs.amazonaws.com", managedPolicyArns: [EXPRESS_INFRASTRUCTURE_POLICY], tags });
    const grants = [...execution.grants, ...infrastructure.grants];
    const propagated = new IamPropagationWait(`${name}-iam-propagation`, [execution.role.arn, infrastructure.role.arn], { parent: this, dependsOn: grants });

    const service = new aws.ecs.ExpressGatewayService(
      `${name}-service`,
      {
        serviceName: args.serviceName,
        executionRoleArn: execution.role.arn,
        infrastructureRoleArn: infrastructure.role.arn,
        cpu: String(size.cpu * 1024),
        memory: String(size.memoryMb),
        healthCheckPath: args.healthCheckPath ?? "/",
        primaryContainer: {
          image: imageDigest,
          containerPort: args.port,
          // The app reads its port from PORT, as on every other target.
          environments: Object.entries({ PORT: String(args.port), ...(args.env ?? {}) }).map(([variable, value]) => ({ name: variable, value })),
          secrets: Object.entries(secrets.arns).map(([variable, arn]) => ({ name: variable, valueFrom: arn })),
        },
        networkConfigurations: args.network ? [{ subnets: args.network.subnetIds, securityGroups: [...args.network.securityGroupIds] }] : undefined,
        scalingTargets: [
          { autoScalingMetric: "AVERAGE_CPU", autoScalingTargetValue: 60, minTaskCount: Math.max(1, args.minInstances), maxTaskCount: Math.max(1, args.maxInstances) },
        ],
        // The deploy ends when the new tasks pass their health checks, so a failing release fails the deploy.
        waitForSteadyState: true,
        tags,
      },
      // The policies stay until the service is gone too, so its deletion never hangs in DRAINING without them.
      { parent: this, dependsOn: [...grants, ...secrets.versions, propagated] },
    );
    this.url = service.ingressPaths.apply((paths) => httpsUrl(paths?.find((p) => p.accessType === "PUBLIC")?.endpoint ?? paths?.[0]?.endpoint));
    this.serviceArn = service.serviceArn;
    this.release = imageDigest;
    this.releaseProof = { kind: "ecs_express", serviceArn: service.serviceArn, cluster: service.cluster };
    this.registerOutputs({ url: this.url, serviceArn: this.serviceArn, release: this.release, releaseProof: this.releaseProof });
  }
}

/** An ingress endpoint as an HTTPS URL, whether ECS reports it as a host name or as a URL. */
function httpsUrl(endpoint: string | undefined): string {
  if (!endpoint) return "";
  return /^https?:\/\//.test(endpoint) ? endpoint.replace(/^http:/, "https:") : `https://${endpoint}`;
}
