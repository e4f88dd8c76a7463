import { failure } from "../../outcome";
import type { BuildKind, ResourcesSpec } from "../spec";
import { CLOUD_RUN_CPU_ROWS, describeCloudRunSizes, fitCloudRunSize } from "./gcp-compute";
import { decided, ruled, type RuleOutcome, type TargetedIntent } from "./result";

/**
 * The Cloud Run size rule, for a node or container build on GCP: the smallest size Cloud Run accepts that holds the
 * requested vCPUs and memory (whole vCPUs, memory within each count's range), refused at stage `plan` above its
 * largest size. Returns the resources as they will run; any other target or build kind passes through unchanged.
 */
export function planCloudRunSize(intent: TargetedIntent, kind: BuildKind, resources: ResourcesSpec): RuleOutcome<ResourcesSpec> {
  if (intent.target !== "gcp" || kind === "static") return ruled(resources);
  const size = fitCloudRunSize(resources.cpu, resources.memory_mb);
  if (!size) {
    const largest = CLOUD_RUN_CPU_ROWS.at(-1)!;
    const field = resources.cpu > largest.cpu ? "resources.cpu" : "resources.memory_mb";
    return failure(
      "plan",
      `${field}: Cloud Run has no instance with ${resources.cpu} vCPU and ${resources.memory_mb} MiB (its largest is ${largest.cpu} vCPU with ${largest.maxMemoryMb} MiB)`,
      `Ask for one of the sizes Cloud Run runs (${describeCloudRunSizes()}), or scale out with resources.max_instances.`,
    );
  }
  if (size.cpu === resources.cpu && size.memoryMb === resources.memory_mb) return ruled(resources);
  return decided(
    { ...resources, cpu: size.cpu, memory_mb: size.memoryMb },
    "compute_size",
    `${size.cpu} vCPU, ${size.memoryMb} MiB`,
    `Cloud Run has no size of ${resources.cpu} vCPU with ${resources.memory_mb} MiB; this is the smallest it runs with at least as much of both (below 1 vCPU it would serve one request at a time)`,
  );
}
