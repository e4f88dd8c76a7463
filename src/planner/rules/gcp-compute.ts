/**
 * The instance sizes Cloud Run accepts for a service, as Google states them ("Configure CPU limits for services" and
 * "Configure memory limits for services" in the Cloud Run documentation). The planner rounds a request onto them and
 * refuses what they cannot hold; the Cloud Run component reads the same table, so a spec written before it changed
 * still deploys a size Cloud Run accepts.
 */

/** One vCPU count with the memory Cloud Run allows beside it, in MiB. */
export interface CloudRunCpuRow {
  readonly cpu: number;
  readonly minMemoryMb: number;
  readonly maxMemoryMb: number;
}

/**
 * Whole vCPUs only: below 1 vCPU Cloud Run requires a concurrency of 1, request-based billing and the first-generation
 * environment, which a web server should not be given silently. 1 vCPU takes up to 4 GiB, 2 up to 8 GiB, 4 from 2 to
 * 16 GiB, 6 from 4 to 24 GiB and 8 from 4 to 32 GiB; 512 MiB is the least the second-generation environment runs with.
 */
export const CLOUD_RUN_CPU_ROWS: readonly CloudRunCpuRow[] = [
  { cpu: 1, minMemoryMb: 512, maxMemoryMb: 4096 },
  { cpu: 2, minMemoryMb: 512, maxMemoryMb: 8192 },
  { cpu: 4, minMemoryMb: 2048, maxMemoryMb: 16384 },
  { cpu: 6, minMemoryMb: 4096, maxMemoryMb: 24576 },
  { cpu: 8, minMemoryMb: 4096, maxMemoryMb: 32768 },
];

/** A size Cloud Run runs: vCPUs and memory in MiB. */
export interface CloudRunSize {
  readonly cpu: number;
  readonly memoryMb: number;
}

/**
 * The smallest size Cloud Run accepts with at least the vCPUs and memory asked for: the fewest vCPUs whose row holds
 * the memory, with the memory raised to that row's least. Null when the request is beyond 8 vCPUs or 32 GiB.
 */
export function fitCloudRunSize(cpu: number, memoryMb: number): CloudRunSize | null {
  const row = CLOUD_RUN_CPU_ROWS.find((r) => r.cpu >= cpu && r.maxMemoryMb >= memoryMb);
  return row ? { cpu: row.cpu, memoryMb: Math.max(memoryMb, row.minMemoryMb) } : null;
}

/** The table as a person reads it: "1 vCPU: 512-4096 MiB; 2 vCPU: ...". */
export function describeCloudRunSizes(): string {
  return CLOUD_RUN_CPU_ROWS.map((r) => `${r.cpu} vCPU: ${r.minMemoryMb}-${r.maxMemoryMb} MiB`).join("; ");
}
