/** The AWS container services' own tables, copied from the vendor's documents, to check what the target declares. */

/** GiB steps from `from` to `to` MiB. */
const gib = (from: number, to: number) => Array.from({ length: (to - from) / 1024 + 1 }, (_, i) => from + i * 1024);

/**
 * Fargate's task sizes up to 4 vCPU, CPU units -> memory MiB, as the ECS developer guide ("Task CPU and memory") and
 * the ECS API (RegisterTaskDefinition `memory`) list them. ECS Express Mode runs its tasks on Fargate and takes at most
 * 4096 CPU units and 8192 MiB (`aws.ecs.ExpressGatewayService` `cpu` and `memory`).
 */
export const FARGATE_TASK_SIZES: Readonly<Record<string, readonly number[]>> = {
  "256": [512, 1024, 2048],
  "512": gib(1024, 4096),
  "1024": gib(2048, 8192),
  "2048": gib(4096, 16384),
  "4096": gib(8192, 30720),
};

/** App Runner's instance sizes, CPU units -> memory MiB (App Runner API `InstanceConfiguration`, CDK `apprunner.Memory`). */
export const APP_RUNNER_SIZES: Readonly<Record<string, readonly number[]>> = {
  "256": [512, 1024],
  "512": [1024],
  "1024": [2048, 3072, 4096],
  "2048": [4096, 6144],
  "4096": [8192, 10240, 12288],
};

/** The Regions with an App Runner endpoint (AWS General Reference, "AWS App Runner endpoints and quotas"). */
export const APP_RUNNER_ENDPOINT_REGIONS = [
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
];

/** Whether ECS Express Mode accepts the CPU units and memory (strings, as the service takes them). */
export function isEcsExpressSize(cpu: string, memory: string): boolean {
  return Number(cpu) <= 4096 && Number(memory) <= 8192 && (FARGATE_TASK_SIZES[cpu] ?? []).includes(Number(memory));
}

/** Whether App Runner accepts the CPU units and memory (strings, as the service takes them). */
export function isAppRunnerSize(cpu: string, memory: string): boolean {
  return (APP_RUNNER_SIZES[cpu] ?? []).includes(Number(memory));
}
