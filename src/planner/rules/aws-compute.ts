/**
 * What AWS's two container services accept, as the vendor states it: the task or instance sizes (vCPU with memory)
 * and the Regions each runs in. The planner rounds a request onto these tables and refuses what they cannot hold; the
 * AWS components read the same tables, so a spec planned before a table changed still deploys a size AWS accepts.
 */

/** The container services the AWS target can run an app on. */
export const AWS_CONTAINER_SERVICES = ["ecs_express", "app_runner"] as const;
/** An AWS container service: ECS Express Mode (the default) or App Runner (on request). */
export type AwsContainerService = (typeof AWS_CONTAINER_SERVICES)[number];

/** The service a spec runs on when it names none. */
export const DEFAULT_AWS_CONTAINER_SERVICE: AwsContainerService = "ecs_express";

/** Display names, for decisions and errors. */
export const AWS_CONTAINER_SERVICE_NAMES: Readonly<Record<AwsContainerService, string>> = {
  ecs_express: "ECS Express Mode",
  app_runner: "App Runner",
};

/** One size a service accepts: vCPUs and memory in MiB. */
export interface ComputeSize {
  readonly cpu: number;
  readonly memoryMb: number;
}

const GB = 1024;

/** Every memory size from `from` to `to` MiB, `step` MiB apart. */
function steps(from: number, to: number, step = GB): number[] {
  return Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);
}

/** A table of memory sizes per CPU unit count (1024 units = 1 vCPU) as sizes, smallest CPU first. */
function sizes(table: Readonly<Record<number, readonly number[]>>): ComputeSize[] {
  return Object.entries(table)
    .map(([units, memories]) => memories.map((memoryMb) => ({ cpu: Number(units) / 1024, memoryMb })))
    .flat()
    .sort((a, b) => a.cpu - b.cpu || a.memoryMb - b.memoryMb);
}

/**
 * Fargate's task sizes up to 4 vCPU (ECS developer guide, "Task CPU and memory"; the ECS API's RegisterTaskDefinition
 * memory field): 0.25 vCPU with 0.5-2 GB, 0.5 vCPU with 1-4 GB, 1 vCPU with 2-8 GB, 2 vCPU with 4-16 GB and 4 vCPU
 * with 8-30 GB, in 1 GB steps.
 */
const FARGATE_MEMORY_BY_CPU_UNITS: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096),
  1024: steps(2048, 8192),
  2048: steps(4096, 16384),
  4096: steps(8192, 30720),
};

/**
 * The most an ECS Express Mode service takes: CPU a power of two from 256 to 4096 units and memory from 512 to 8192
 * MiB (the `cpu` and `memory` arguments of `aws.ecs.ExpressGatewayService`); its tasks run on Fargate, so a pair must
 * also be a Fargate task size.
 */
const ECS_EXPRESS_MAX: ComputeSize = { cpu: 4, memoryMb: 8192 };

/** The sizes of App Runner instances (App Runner API `InstanceConfiguration`, CDK `apprunner.Memory`). */
const APP_RUNNER_MEMORY_BY_CPU_UNITS: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024],
  512: [1024],
  1024: [2048, 3072, 4096],
  2048: [4096, 6144],
  4096: [8192, 10240, 12288],
};

/** Every size each service accepts, smallest CPU first, then smallest memory. */
export const AWS_COMPUTE_SIZES: Readonly<Record<AwsContainerService, readonly ComputeSize[]>> = {
  ecs_express: sizes(FARGATE_MEMORY_BY_CPU_UNITS).filter((s) => s.cpu <= ECS_EXPRESS_MAX.cpu && s.memoryMb <= ECS_EXPRESS_MAX.memoryMb),
  app_runner: sizes(APP_RUNNER_MEMORY_BY_CPU_UNITS),
};

/**
 * The Regions with an App Runner endpoint (AWS General Reference, "AWS App Runner endpoints and quotas"). US West
 * (N. California), Canada (Central), Europe (Stockholm), Asia Pacific (Seoul) and South America (São Paulo) have none.
 */
const APP_RUNNER_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-2",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
] as const;

/**
 * The Regions ECS Express Mode runs in: AWS launched it in every commercial Region (these are the ones a request can
 * name); it needs only ECS on Fargate and an Application Load Balancer, which each of them has.
 */
const ECS_EXPRESS_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "sa-east-1",
] as const;

/** The Regions each service runs in. */
export const AWS_CONTAINER_REGIONS: Readonly<Record<AwsContainerService, readonly string[]>> = {
  ecs_express: ECS_EXPRESS_REGIONS,
  app_runner: APP_RUNNER_REGIONS,
};

/**
 * The smallest size the service accepts with at least the vCPUs and memory asked for (fewest vCPUs first, then least
 * memory), or null when the request is beyond its largest size.
 */
export function fitComputeSize(service: AwsContainerService, cpu: number, memoryMb: number): ComputeSize | null {
  return AWS_COMPUTE_SIZES[service].find((size) => size.cpu >= cpu && size.memoryMb >= memoryMb) ?? null;
}

/** The sizes a service accepts, as a person reads them: "0.25 vCPU: 512, 1024 MiB; 0.5 vCPU: ...". */
export function describeComputeSizes(service: AwsContainerService): string {
  const byCpu = new Map<number, number[]>();
  for (const size of AWS_COMPUTE_SIZES[service]) byCpu.set(size.cpu, [...(byCpu.get(size.cpu) ?? []), size.memoryMb]);
  return [...byCpu].map(([cpu, memories]) => `${cpu} vCPU: ${memories.join(", ")} MiB`).join("; ");
}
