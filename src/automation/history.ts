import type { UpdateSummary } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../planner/spec";
import { normalizeSummary } from "./engine-events";
import { classifyEngineError } from "./errors";
import type { ChangeSummary, OperationOptions } from "./operation-types";
import { existingStack } from "./stack-handles";
import { specFromHistoryConfig } from "./stack-config";
import { stateReader } from "./state-reader";
import { PROJECT_NAME, type PlannerWorkspace } from "./workspace";

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
  options: Pick<OperationOptions, "workspace"> & {
    readonly limit?: number;
    /** Ask the engine even where the file backend's files can be read directly (they list the same entries). */
    readonly fromEngine?: boolean;
  },
): Promise<HistoryEntry[]> {
  const fromFiles = options.fromEngine === true ? null : await historyFromFiles(options.workspace, stackName);
  if (fromFiles !== null) return options.limit === undefined ? fromFiles : fromFiles.slice(0, options.limit);
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
  return updates.map((update, index) =>
    historyEntry(
      update.version || total - index,
      update,
      new Date(update.startTime),
      update.endTime ? new Date(update.endTime) : null,
      update.config as Record<string, { value: string; secret?: boolean }>,
    ),
  );
}

function historyEntry(
  version: number,
  update: Pick<UpdateSummary, "kind" | "result" | "resourceChanges"> & { readonly message?: string },
  startTime: Date,
  endTime: Date | null,
  config: Record<string, { value: string; secret?: boolean }>,
): HistoryEntry {
  const spec = specFromHistoryConfig(config);
  return {
    version,
    kind: update.kind,
    result: update.result,
    startTime: startTime.toISOString(),
    endTime: endTime ? endTime.toISOString() : null,
    message: update.message ?? "",
    deployer: spec?.deployer_id ?? null,
    versionName: spec?.version_name ?? null,
    artifactDigest: spec?.artifact?.digest ?? null,
    target: spec?.target ?? null,
    resourceChanges: normalizeSummary(update.resourceChanges),
    spec,
  };
}

/** One update as a file backend stores it in `<stack>-<unix nanoseconds>.history.json`. */
interface StoredUpdate {
  readonly kind: UpdateSummary["kind"];
  readonly result: UpdateSummary["result"];
  readonly message?: string;
  /** Unix seconds. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly config?: Record<string, unknown>;
  readonly resourceChanges?: UpdateSummary["resourceChanges"];
}

/**
 * A stack's history read straight from a file backend's history files, newest first: the same entries the CLI
 * lists, without starting it (or loading the SDK), which keeps `rollback`, `list` and `sync` quick. Null for other
 * backends, a stack without a checkpoint, or files this reader does not know (compressed ones), so the caller asks
 * the CLI.
 */
async function historyFromFiles(workspace: PlannerWorkspace, stackName: string): Promise<HistoryEntry[] | null> {
  const reader = stateReader(workspace);
  if (reader === null || !(await reader.exists("stacks", PROJECT_NAME, `${stackName}.json`))) return null;
  const files = await reader.list("history", PROJECT_NAME, stackName);
  if (files.some((file) => file.endsWith(".history.json.gz"))) return null;
  // Named by their start in nanoseconds: oldest first when ordered by length, then text.
  const names = files.filter((file) => file.endsWith(".history.json")).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const entries: HistoryEntry[] = [];
  for (const [index, name] of names.entries()) {
    let stored: StoredUpdate;
    try {
      stored = JSON.parse((await reader.read("history", PROJECT_NAME, stackName, name)) ?? "") as StoredUpdate;
    } catch {
      return null;
    }
    // Structured config is stored as the object itself; the CLI's history output wraps every value as a string.
    const config = Object.fromEntries(
      Object.entries(stored.config ?? {}).map(([key, value]) => [key, { value: typeof value === "string" ? value : JSON.stringify(value) }]),
    );
    entries.push(historyEntry(index + 1, stored, new Date(stored.startTime * 1000), stored.endTime ? new Date(stored.endTime * 1000) : null, config));
  }
  return entries.reverse();
}

/** Number of updates in a stack's history, i.e. the version number of its latest update. */
export async function updateCount(workspace: PlannerWorkspace, stackName: string): Promise<number> {
  // A self-managed backend keeps one history document per update; counting them spares a CLI run after every update.
  const reader = stateReader(workspace);
  if (reader !== null) return (await reader.list("history", PROJECT_NAME, stackName)).filter((f) => f.endsWith(".history.json")).length;
  const stack = await existingStack(workspace, stackName);
  return stack.history(ALL_UPDATES, 1, false).then(
    (all) => all[0]?.version || all.length,
    () => 0,
  );
}
