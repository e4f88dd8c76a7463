import type { Pool } from "pg";
import { countsByStatus, finishedOutcomes } from "./repositories/deployments";

/** Prometheus label value: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The service's metrics in the Prometheus text format, from the deployment records every process shares: queue depth,
 * running deployments, finished ones by outcome and failure stage, and their durations.
 */
export async function metricsText(pool: Pool): Promise<string> {
  const states = await countsByStatus(pool);
  const count = (status: string) => states.get(status) ?? 0;
  const outcomes = await finishedOutcomes(pool);
  const lines = [
    "# HELP deployment_planner_queue_depth Deployments waiting for a worker.",
    "# TYPE deployment_planner_queue_depth gauge",
    `deployment_planner_queue_depth ${count("queued")}`,
    "# HELP deployment_planner_deployments_running Deployments a worker is running.",
    "# TYPE deployment_planner_deployments_running gauge",
    `deployment_planner_deployments_running ${count("running")}`,
    "# HELP deployment_planner_deployments_finished_total Finished deployments by outcome and, for failures, stage.",
    "# TYPE deployment_planner_deployments_finished_total counter",
    ...outcomes.map((r) => `deployment_planner_deployments_finished_total{outcome="${label(r.status)}",stage="${label(r.stage ?? "")}"} ${r.n}`),
    "# HELP deployment_planner_deployment_duration_seconds Time from a worker's start to the result.",
    "# TYPE deployment_planner_deployment_duration_seconds summary",
    ...outcomes.flatMap((r) => [
      `deployment_planner_deployment_duration_seconds_sum{outcome="${label(r.status)}",stage="${label(r.stage ?? "")}"} ${r.seconds.toFixed(3)}`,
      `deployment_planner_deployment_duration_seconds_count{outcome="${label(r.status)}",stage="${label(r.stage ?? "")}"} ${r.n}`,
    ]),
  ];
  return lines.join("\n") + "\n";
}
