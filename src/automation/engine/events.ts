import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import type { ChangeSummary, PlannedStep, StackOutputs } from "../workspace/index";

const OP_SYMBOLS: Readonly<Record<string, string>> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
  same: " ",
  read: ">",
  refresh: "~",
};

/** One progress line for a resource-level engine event, or undefined for events a person need not see. */
export function describeEvent(event: EngineEvent): string | undefined {
  if (event.resourcePreEvent) {
    const meta = event.resourcePreEvent.metadata;
    if (meta.op === "same" || meta.type === "pulumi:pulumi:Stack") return undefined;
    return `${OP_SYMBOLS[meta.op] ?? "*"} ${meta.type} ${resourceName(meta.urn)} ${event.resourcePreEvent.planning ? "(planned " + meta.op + ")" : meta.op + "..."}`;
  }
  if (event.resOutputsEvent) {
    const meta = event.resOutputsEvent.metadata;
    if (meta.op === "same" || meta.type === "pulumi:pulumi:Stack" || event.resOutputsEvent.planning) return undefined;
    return `${OP_SYMBOLS[meta.op] ?? "*"} ${meta.type} ${resourceName(meta.urn)} ${meta.op} done`;
  }
  if (event.resOpFailedEvent) {
    const meta = event.resOpFailedEvent.metadata;
    return `! ${meta.type} ${resourceName(meta.urn)} ${meta.op} failed`;
  }
  if (event.diagnosticEvent && event.diagnosticEvent.severity === "error") {
    return `error: ${event.diagnosticEvent.message.trim()}`;
  }
  if (event.summaryEvent) {
    const changes = Object.entries(event.summaryEvent.resourceChanges ?? {})
      .map(([op, n]) => `${n} ${op}`)
      .join(", ");
    return `done in ${event.summaryEvent.durationSeconds}s: ${changes || "no changes"}`;
  }
  return undefined;
}

/** The planned step an engine event announces during a preview, if it announces one other than `same`. */
export function plannedStep(event: EngineEvent): PlannedStep | undefined {
  const meta = event.resourcePreEvent?.metadata;
  if (!meta || meta.op === "same" || meta.type === "pulumi:pulumi:Stack") return undefined;
  return { op: meta.op, type: meta.type, name: resourceName(meta.urn) };
}

/** What an update's own events said: the stack's outputs and the counts of resource changes. */
export interface ObservedUpdate {
  outputs?: Record<string, { value: unknown; secret: boolean }>;
  /** The stack's URL output before the update, from the stack resource's old state. */
  previousUrl?: string | null;
  changes?: OpMap;
  /** Resources a refresh found changed or gone outside the stack (`<type> <name>: changed`). */
  drift?: string[];
}

/** Records in `observed` what an engine event says about the update's outputs and change counts. */
export function observeEvent(event: EngineEvent, observed: ObservedUpdate): void {
  const outputs = event.resOutputsEvent;
  if (outputs && outputs.metadata.type === "pulumi:pulumi:Stack" && !outputs.planning) {
    const values = (outputs.metadata.new?.outputs ?? {}) as Record<string, unknown>;
    // Engine events show a secret output as this placeholder, never its value.
    observed.outputs = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value, secret: value === "[secret]" }]));
    const previous = (outputs.metadata.old?.outputs as Record<string, unknown> | undefined)?.url;
    observed.previousUrl = typeof previous === "string" && previous ? previous : null;
  }
  if (event.summaryEvent) observed.changes = event.summaryEvent.resourceChanges;
  const refreshed = event.resOutputsEvent?.metadata;
  if (refreshed?.op === "refresh" && !event.resOutputsEvent!.planning && refreshed.type !== "pulumi:pulumi:Stack" && !refreshed.type.startsWith("pulumi:providers:")) {
    const gone = refreshed.new === undefined || refreshed.new === null;
    if (gone || JSON.stringify(refreshed.old?.outputs ?? {}) !== JSON.stringify(refreshed.new?.outputs ?? {})) {
      (observed.drift ??= []).push(`${refreshed.type} ${resourceName(refreshed.urn)}: ${gone ? "gone" : "changed"}`);
    }
  }
}

/** The non-zero counts of an engine change summary. */
export function normalizeSummary(summary: OpMap | undefined): ChangeSummary {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([, n]) => typeof n === "number" && n > 0)) as ChangeSummary;
}

/** True when a summary counts anything but unchanged resources. */
export function hasChanges(summary: ChangeSummary): boolean {
  return Object.entries(summary).some(([op, n]) => op !== "same" && n > 0);
}

/** Stack outputs as plain values, with secret ones replaced by a placeholder. */
export function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): StackOutputs {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]),
  ) as StackOutputs;
}

function resourceName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}
