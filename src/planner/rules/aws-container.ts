import { failure } from "../../outcome";
import type { BuildKind, Decision, ResourcesSpec, ServiceSpec } from "../spec";
import {
  AWS_COMPUTE_SIZES,
  AWS_CONTAINER_REGIONS,
  AWS_CONTAINER_SERVICE_NAMES,
  DEFAULT_AWS_CONTAINER_SERVICE,
  describeComputeSizes,
  fitComputeSize,
  type AwsContainerService,
} from "./aws-compute";
import { ruled, type RuleOutcome, type TargetedIntent } from "./result";

const WHY_ECS_EXPRESS =
  "AWS recommends ECS Express Mode for new container apps, and App Runner is closed to new customers from 30 April 2026";

function whyService(service: AwsContainerService, requested: boolean): string {
  if (service === "app_runner") {
    return "requested in target_settings.aws_container_service; App Runner is closed to new customers from 30 April 2026, so the AWS account must already use it";
  }
  return requested ? `requested in target_settings.aws_container_service; ${WHY_ECS_EXPRESS}` : `${WHY_ECS_EXPRESS} (target_settings.aws_container_service: app_runner keeps an account that still has App Runner on it)`;
}

/** The `container_service` decision: the AWS service that runs a node or container app, and why. */
export function containerServiceDecision(service: AwsContainerService, requested: boolean): Decision {
  return { topic: "container_service", choice: service, reason: whyService(service, requested) };
}

/**
 * The AWS container rule, for a node or container build on AWS: the service that runs it (ECS Express Mode, or App
 * Runner when the request asks for it), refused at stage `plan` in a Region the service does not run in, and the
 * smallest size the service accepts that holds the requested vCPUs and memory (refused above its largest size).
 * Returns the resources as they will run; any other target or build kind passes through unchanged.
 */
export function planAwsContainer(intent: TargetedIntent, kind: BuildKind, region: string, resources: ResourcesSpec, services: readonly ServiceSpec[]): RuleOutcome<ResourcesSpec> {
  if (intent.target !== "aws" || kind === "static") return ruled(resources);
  const requested = intent.request.target_settings?.aws_container_service;
  const service = requested ?? DEFAULT_AWS_CONTAINER_SERVICE;
  const name = AWS_CONTAINER_SERVICE_NAMES[service];

  const regions = AWS_CONTAINER_REGIONS[service];
  if (!regions.includes(region)) {
    const others = (Object.keys(AWS_CONTAINER_REGIONS) as AwsContainerService[]).filter((s) => s !== service && AWS_CONTAINER_REGIONS[s].includes(region));
    const field = requested ? "target_settings.aws_container_service" : "environment.REGION";
    const elsewhere = `deploy ${name} to one of its Regions: ${regions.join(", ")}.`;
    const instead = others.map((s) => `target_settings.aws_container_service: ${s} (${AWS_CONTAINER_SERVICE_NAMES[s]}), which runs in ${region}`);
    return failure("plan", `${field}: ${name} does not run in ${region}`, instead.length > 0 ? `Use ${instead.join(" or ")}, or ${elsewhere}` : `Choose another Region: ${elsewhere}`);
  }

  const size = fitComputeSize(service, resources.cpu, resources.memory_mb);
  if (!size) {
    const largest = AWS_COMPUTE_SIZES[service].at(-1)!;
    return failure(
      "plan",
      `resources: ${name} has no size with ${resources.cpu} vCPU and ${resources.memory_mb} MiB (its largest is ${largest.cpu} vCPU with ${largest.memoryMb} MiB)`,
      `Ask for one of the sizes ${name} runs (${describeComputeSizes(service)}), or scale out with resources.max_instances.`,
    );
  }
  const decisions: Decision[] = [containerServiceDecision(service, requested !== undefined)];
  if (size.cpu !== resources.cpu || size.memoryMb !== resources.memory_mb) {
    decisions.push({
      topic: "compute_size",
      choice: `${size.cpu} vCPU, ${size.memoryMb} MiB`,
      reason: `${name} has no size of ${resources.cpu} vCPU with ${resources.memory_mb} MiB; this is the smallest it runs with at least as much of both`,
    });
  }
  const reachesDatastores = services.some((s) => s.provisioning === "managed");
  const warnings =
    service === "app_runner" && reachesDatastores
      ? ["App Runner reaches the datastores through a VPC connector, which sends all of the app's outbound traffic into the VPC: the app reaches the internet only if the VPC has a NAT gateway"]
      : [];
  return ruled({ ...resources, cpu: size.cpu, memory_mb: size.memoryMb }, { decisions, warnings });
}
