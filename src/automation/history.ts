import { readdir } from "node:fs/promises";
import type { UpdateSummary } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../planner/spec";
import { normalizeSummary } from "./engine-events";
import { classifyEngineError } from "./errors";
import type { ChangeSummary, OperationOptions } from "./operation-types";
import { existingStack } from "./stack-handles";
import { specFromHistoryConfig } from "./stack-config";
import { fileBackendPath, PROJECT_NAME, type PlannerWorkspace } from "./workspace";

/** A page size that holds a stack's whole history. */
const ALL_UPDATES = 1_000_000;

/** One update in a stack's history: who deployed what, when, with what result. */
export interface HistoryEntry {
  readonly version: number;
  readonly kind: string;
  readonly result: string;
  readonly startTime: string;
  readonly endTime: string | null;
  readonly message: string;
  readonly deployer: string | null;
  readonly versionName: string | null;
  readonly artifactDigest: string | null;
  readonly target: string | null;
  readonly resourceChanges: ChangeSummary;
  /** The spec the update applied, when it carried one (rollback re-applies it). */
  readonly spec: StackSpec | null;
}

/** The stack's update history, newest first. */
export async function stackHistory(
  stackName: string,
  options: Pick<OperationOptions, "workspace"> & { readonly limit?: number },
): Promise<HistoryEntry[]> {
  const stack = await existingStack(options.workspace, stackName);
  let updates: UpdateSummary[];
  try {
    // The CLI pages history by 10 unless told otherwise; secrets stay blinded (the spec holds references only).
    updates = await stack.history(options.limit ?? ALL_UPDATES, 1, false);
  } catch (error) {
    throw classifyEngineError(error, stackName, false);
  }
  // The file backend of this engine version does not number updates; their position in the history does.
  const total = options.limit === undefined ? updates.length : await updateCount(options.workspace, stackName);
  return updates.map((update, index) => {
    const spec = specFromHistoryConfig(update.config as Record<string, { value: string; secret?: boolean }>);
    return {
      version: update.version || total - index,
      kind: update.kind,
      result: update.result,
      startTime: new Date(update.startTime).toISOString(),
      endTime: update.endTime ? new Date(update.endTime).toISOString() : null,
      message: update.message ?? "",
      deployer: spec?.deployer_id ?? null,
      versionName: spec?.version_name ?? null,
      artifactDigest: spec?.artifact?.digest ?? null,
      target: spec?.target ?? null,
      resourceChanges: normalizeSummary(update.resourceChanges),
      spec,
    };
  });
}

/** Number of updates in a stack's history, i.e. the version number of its latest update. */
export async function updateCount(workspace: PlannerWorkspace, stackName: string): Promise<number> {
  // A file backend keeps one history file per update; counting them spares a CLI run after every update.
  const dir = fileBackendPath(workspace, "history", PROJECT_NAME, stackName);
  if (dir !== null) {
    const files = await readdir(dir).catch(() => null);
    if (files) return files.filter((f) => f.endsWith(".history.json")).length;
  }
  const stack = await existingStack(workspace, stackName);
  return stack.history(ALL_UPDATES, 1, false).then(
    (all) => all[0]?.version || all.length,
    () => 0,
  );
}
