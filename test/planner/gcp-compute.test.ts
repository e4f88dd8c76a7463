import { describe, expect, it } from "vitest";
import { fitCloudRunSize } from "../../src/planner/rules/gcp-compute";
import { briefRequest, failed, planned, plannedResult } from "../support/requests";

/**
 * Cloud Run's rules for a service's size, written from its documentation ("Configure CPU limits for services",
 * "Configure memory limits for services") independently of the planner's table: whole vCPUs of 1, 2, 4, 6 or 8 (below
 * 1 vCPU Cloud Run requires a concurrency of 1); memory from 512 MiB to 32 GiB; over 4 GiB needs 2 vCPUs, over 8 GiB
 * 4, over 16 GiB 6 and over 24 GiB 8; 4 vCPUs need at least 2 GiB and 6 or 8 vCPUs at least 4 GiB.
 */
const CLOUD_RUN_CPUS = [1, 2, 4, 6, 8];
const minMemoryFor = (cpu: number) => (cpu >= 6 ? 4096 : cpu >= 4 ? 2048 : 512);
function cloudRunAccepts(cpu: number, memoryMb: number): boolean {
  const minCpuForMemory = memoryMb > 24576 ? 8 : memoryMb > 16384 ? 6 : memoryMb > 8192 ? 4 : memoryMb > 4096 ? 2 : 1;
  return CLOUD_RUN_CPUS.includes(cpu) && memoryMb >= 512 && memoryMb <= 32768 && cpu >= minCpuForMemory && memoryMb >= minMemoryFor(cpu);
}

const CPUS = [0.125, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 7, 8];
const MEMORIES = [128, 256, 512, 768, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 20480, 24576, 28672, 32768];

const gcpApi = (resources: Record<string, number>, environment = "staging") =>
  briefRequest({ target: "gcp", deployment_type: "api", tech_stack: ["Express"], environment: { ENV: environment, REGION: "us-east-1" }, resources });

describe("Cloud Run sizes from the vendor's table", () => {
  it("fits every request up to 8 vCPU and 32 GiB to the smallest size Cloud Run accepts that holds it", () => {
    for (const cpu of CPUS) {
      for (const memoryMb of MEMORIES) {
        const size = fitCloudRunSize(cpu, memoryMb);
        const label = `${cpu} vCPU, ${memoryMb} MiB -> ${JSON.stringify(size)}`;
        expect(size, label).not.toBeNull();
        expect(cloudRunAccepts(size!.cpu, size!.memoryMb), label).toBe(true);
        expect(size!.cpu >= cpu && size!.memoryMb >= memoryMb, label).toBe(true);
        // Nothing smaller would do: no fewer vCPUs hold the request, and the memory is the least this count allows.
        const fewer = CLOUD_RUN_CPUS.filter((c) => c >= cpu && c < size!.cpu);
        expect(fewer.some((c) => cloudRunAccepts(c, Math.max(memoryMb, minMemoryFor(c)))), label).toBe(false);
        expect(size!.memoryMb, label).toBe(Math.max(memoryMb, minMemoryFor(size!.cpu)));
      }
    }
  });

  it("has no size above 8 vCPU", () => {
    expect(fitCloudRunSize(12, 1024)).toBeNull();
  });
});

describe("plan: Cloud Run sizes", () => {
  it("rounds a GCP app's resources to the size Cloud Run runs, and says so", () => {
    const result = plannedResult(gcpApi({ cpu: 0.25, memory_mb: 256 }));
    expect(result.spec.resources).toMatchObject({ cpu: 1, memory_mb: 512 });
    expect(result.spec.decisions).toContainEqual(expect.objectContaining({ topic: "compute_size", choice: "1 vCPU, 512 MiB" }));
    expect(planned(gcpApi({ cpu: 3, memory_mb: 1024 })).resources).toMatchObject({ cpu: 4, memory_mb: 2048 });
    expect(planned(gcpApi({ cpu: 1, memory_mb: 8192 })).resources).toMatchObject({ cpu: 2, memory_mb: 8192 });
  });

  it("keeps a size Cloud Run already runs as it is, with no decision about it", () => {
    const result = plannedResult(gcpApi({ cpu: 2, memory_mb: 4096 }));
    expect(result.spec.resources).toMatchObject({ cpu: 2, memory_mb: 4096 });
    expect(result.spec.decisions.some((d) => d.topic === "compute_size")).toBe(false);
  });

  it("refuses more vCPUs than Cloud Run runs at stage plan, naming the field and the sizes it has", () => {
    const failure = failed(gcpApi({ cpu: 12, memory_mb: 4096 }));
    expect(failure.stage).toBe("plan");
    expect(failure.reason).toMatch(/^resources\.cpu: Cloud Run has no instance with 12 vCPU/);
    expect(failure.fix_suggestion).toContain("8 vCPU: 4096-32768 MiB");
  });

  it("leaves a static site's resources alone: Cloud Run does not run it", () => {
    const spec = planned(briefRequest({ target: "gcp", deployment_type: "static_site", tech_stack: ["HTML"], environment: { ENV: "staging" }, resources: { cpu: 0.25, memory_mb: 256 } }));
    expect(spec.resources).toMatchObject({ cpu: 0.25, memory_mb: 256 });
  });
});
