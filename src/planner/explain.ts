import type { PlannedResult, RedeployResult } from "./plan";

/** Renders a plan for a person: where it goes, what it builds, every decision with its reason, and what comes next. */
export function explainPlan(result: PlannedResult | RedeployResult): string {
  if (result.status === "redeploy") return `${result.summary}\n`;
  const { spec, warnings } = result;
  const lines = [
    `plan for ${spec.stack}: ${spec.deployment_type} on ${spec.target} (${spec.region})`,
    `build: ${spec.build.kind}${spec.build.framework ? ` (${spec.build.framework})` : ""}${spec.build.source ? ` from ${spec.build.source}` : ""}`,
    "",
    "decisions:",
    ...spec.decisions.map((d) => `  ${d.topic}: ${d.choice}\n    because ${d.reason}`),
  ];
  if (spec.services.length > 0) {
    lines.push("", "services:", ...spec.services.map((s) => `  ${s.name}: ${s.provisioning}${s.connection_env ? ` (${s.connection_env})` : ""}`));
  }
  if (spec.secrets.length > 0) {
    lines.push("", "secrets (references, resolved at deploy time):", ...spec.secrets.map((s) => `  ${s.name} <- ${s.ref}`));
  }
  if (Object.keys(spec.env).length > 0) lines.push("", "env:", ...Object.entries(spec.env).map(([k, v]) => `  ${k}=${v}`));
  if (warnings.length > 0) lines.push("", "warnings:", ...warnings.map((w) => `  ${w}`));
  if (spec.next_steps.length > 0) lines.push("", "next steps:", ...spec.next_steps.map((s) => `  - ${s}`));
  return lines.join("\n") + "\n";
}
