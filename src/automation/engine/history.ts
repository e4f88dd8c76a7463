import type { UpdateSummary } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../../planner/spec";
import { normalizeSummary } from "./events";
import {
  classifyEngineError,
  type ChangeSummary,
  type OperationOptions,
  specFromHistoryConfig,
  PROJECT_NAME,
  type PlannerWorkspace,
} from "../workspace/index";
import type { AuditEntry } from "../records/index";
import { outcomeOf, recordedOperations, type OperationOutcome, type RecordedOperations } from "./operation-outcomes";
import { existingStack } from "./stack-handles";
import { describeOperation, messageSummary, readNote, type OperationNote } from "./update-message";

/** A page size that holds a stack's whole history. */
const ALL_UPDATES = 1_000_000;

/**
 * One entry in a stack's history: which operation, run by whom, applied which version (release name), when, and how
 * it ended. "Update N" is the entry's number; "version" is the release's name (`versionName`, e.g. v3).
 */
export interface HistoryEntry {
  /** The entry's number in the stack's history ("update N"), as rollback's `--to` takes it. */
  readonly update: number;
  /** The same number as `update`, under the name earlier releases gave it. */
  readonly version: number;
  /** The engine's kind: update, destroy, refresh. */
  readonly kind: string;
  /** The engine's result: succeeded, failed (also for a cancelled update), in-progress. */
  readonly result: string;
  /** How the operation ended for the product: the engine's result, or cancelled, interrupted, or failed verification. */
  readonly outcome: OperationOutcome;
  /** What made the entry: deploy, redeploy, rollback, promote, sync, destroy, refresh (`update` for one made by hand). */
  readonly operation: string;
  /** The operation as a person reads it: `deploy`, `rollback from 2 to 1`, `promote from pf.staging update 3`. */
  readonly description: string;
  /** Who ran it: the operating-system user, a service token, a webhook; null where the entry does not say. */
  readonly ranBy: string | null;
  /** A rollback's update before it, and the update it re-applied; null otherwise. */
  readonly rolledBackFrom: number | null;
  readonly rolledBackTo: number | null;
  /** The stack (and its update) a promotion came from; null otherwise. */
  readonly promotedFrom: { readonly stack: string; readonly update: number | null } | null;
  /** The operation's id, which its audit record carries too. */
  readonly operationId: string | null;
  readonly startTime: string;
  readonly endTime: string | null;
  readonly message: string;
  /** Who the request named as its deployer (`deployer_id`); not who ran the operation (`ranBy`). */
  readonly deployer: string | null;
  /** The release's name, e.g. v3. */
  readonly versionName: string | null;
  readonly artifactDigest: string | null;
  readonly target: string | null;
  readonly resourceChanges: ChangeSummary;
  /** The spec the update applied, when it carried one (rollback re-applies it). */
  readonly spec: StackSpec | null;
  /** The keyed hash of the secret values the update resolved (`none` for none), when its note records one; never a value. */
  readonly secretsFingerprint: string | null;
  /**
   * The history's note of deployments that found this update already serving what they asked for and changed nothing
   * (no engine run, no new update): how many, and the newest. Null when there were none.
   */
  readonly confirmed: ConfirmedUpdate | null;
}

/** Deployments that repeated an update without a new one, from the audit trail. */
export interface ConfirmedUpdate {
  readonly count: number;
  /** When the newest ended, who ran it and its operation id. */
  readonly last_time: string;
  readonly last_by: string | null;
  readonly last_operation_id: string | null;
}

/** Options of `stackHistory` and `recentHistory`. */
export interface HistoryOptions extends Pick<OperationOptions, "workspace"> {
  /** Ask the engine even where the file backend's files can be read directly (they list the same entries). */
  readonly fromEngine?: boolean;
  /** The audit trail's records, when the caller read them already (`list` reads them once for every stack). */
  readonly recorded?: RecordedOperations;
}

/** The stack's update history, newest first. */
export async function stackHistory(stackName: string, options: HistoryOptions & { readonly limit?: number }): Promise<HistoryEntry[]> {
  const fromFiles = options.fromEngine === true ? null : await historyFromFiles(options.workspace, stackName, (entries) => options.limit !== undefined && entries.length >= options.limit);
  if (fromFiles !== null) return withOutcomes(stackName, fromFiles, options);
  return withOutcomes(stackName, await historyFromEngine(stackName, options), options);
}

/**
 * A stack's newest history entries, newest first, down to the first one for which `enough` holds (all of them when
 * none does): where the backend's files can be read, only those entries are read, so `list` stays quick however long
 * a stack's history is.
 */
export async function recentHistory(stackName: string, options: HistoryOptions & { readonly enough: (entry: Pick<HistoryEntry, "kind" | "result">) => boolean }): Promise<HistoryEntry[]> {
  const reader = options.workspace.stateBackend.reader;
  // A stack the backend has no checkpoint of was never updated: no engine run to learn that.
  if (reader !== null && !(await reader.exists("stacks", PROJECT_NAME, `${stackName}.json`)) && !(await reader.exists("stacks", PROJECT_NAME, `${stackName}.json.gz`))) return [];
  const fromFiles = options.fromEngine === true ? null : await historyFromFiles(options.workspace, stackName, (entries) => entries.length > 0 && options.enough(entries.at(-1)!));
  const entries = fromFiles ?? (await historyFromEngine(stackName, options));
  const end = entries.findIndex(options.enough);
  return withOutcomes(stackName, end < 0 ? entries : entries.slice(0, end + 1), options);
}

async function historyFromEngine(stackName: string, options: HistoryOptions & { readonly limit?: number }): Promise<RawEntry[]> {
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

/** An entry before its outcome is known: the engine's facts and the operation's note. */
type RawEntry = Omit<HistoryEntry, "outcome" | "confirmed"> & { readonly note: OperationNote };

function historyEntry(
  version: number,
  update: Pick<UpdateSummary, "kind" | "result" | "resourceChanges"> & { readonly message?: string },
  startTime: Date,
  endTime: Date | null,
  config: Record<string, { value: string; secret?: boolean }>,
): RawEntry {
  const spec = specFromHistoryConfig(config);
  const message = update.message ?? "";
  const note = readNote(message, update.kind);
  return {
    update: version,
    version,
    kind: update.kind,
    result: update.result,
    operation: note.operation,
    description: describeOperation(note),
    ranBy: note.by,
    rolledBackFrom: note.operation === "rollback" ? note.from : null,
    rolledBackTo: note.operation === "rollback" ? note.to : null,
    promotedFrom: note.operation === "promote" && note.source !== null ? { stack: note.source, update: note.from } : null,
    operationId: note.id,
    startTime: startTime.toISOString(),
    endTime: endTime ? endTime.toISOString() : null,
    message: messageSummary(message),
    // A noted entry names the request's deployer itself (none for a destroy); an older one only through its spec.
    deployer: note.id !== null ? note.deployer : (spec?.deployer_id ?? null),
    versionName: spec?.version_name ?? null,
    artifactDigest: spec?.artifact?.digest ?? null,
    target: spec?.target ?? null,
    resourceChanges: normalizeSummary(update.resourceChanges),
    spec,
    secretsFingerprint: note.secrets,
    note,
  };
}

/**
 * The entries with the product's outcome of each (which the audit trail refines: cancelled, interrupted) and the
 * deployments that confirmed an update without making one.
 */
async function withOutcomes(stackName: string, entries: readonly RawEntry[], options: HistoryOptions): Promise<HistoryEntry[]> {
  const recorded = options.recorded ?? (await recordedOperations(options.workspace.dataDir));
  const confirmations = confirmationsOf(recorded.byStack.get(stackName) ?? []);
  return Promise.all(
    entries.map(async ({ note, ...entry }) => ({
      ...entry,
      outcome: await outcomeOf({ ...entry, note }, recorded),
      confirmed: entry.kind === "update" ? (confirmations.get(entry.update) ?? null) : null,
    })),
  );
}

/** The audit trail's converged deployments of a stack (oldest first), by the update each found serving. */
function confirmationsOf(records: readonly AuditEntry[]): Map<number, ConfirmedUpdate> {
  const byUpdate = new Map<number, ConfirmedUpdate>();
  for (const record of records) {
    if (record.converged !== true || record.status !== "success" || typeof record.update_version !== "number") continue;
    const count = (byUpdate.get(record.update_version)?.count ?? 0) + 1;
    byUpdate.set(record.update_version, { count, last_time: record.time, last_by: record.actor, last_operation_id: record.operation_id ?? null });
  }
  return byUpdate;
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
 * A stack's history read straight from a file backend's history files, newest first, until `enough` says the entries
 * read so far suffice: the same entries the CLI lists, without starting it (or loading the SDK), which keeps
 * `rollback`, `list` and `sync` quick. Null for other backends, a stack without a checkpoint, or files this reader does
 * not know (compressed ones), so the caller asks the CLI.
 */
async function historyFromFiles(workspace: PlannerWorkspace, stackName: string, enough: (newestFirst: readonly RawEntry[]) => boolean): Promise<RawEntry[] | null> {
  const reader = workspace.stateBackend.reader;
  if (reader === null || !(await reader.exists("stacks", PROJECT_NAME, `${stackName}.json`))) return null;
  const files = await reader.list("history", PROJECT_NAME, stackName);
  if (files.some((file) => file.endsWith(".history.json.gz"))) return null;
  // Named by their start in nanoseconds: oldest first when ordered by length, then text.
  const names = files.filter((file) => file.endsWith(".history.json")).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const entries: RawEntry[] = [];
  for (let index = names.length - 1; index >= 0 && !enough(entries); index -= 1) {
    let stored: StoredUpdate;
    try {
      stored = JSON.parse((await reader.read("history", PROJECT_NAME, stackName, names[index]!)) ?? "") as StoredUpdate;
    } catch {
      return null;
    }
    // Structured config is stored as the object itself; the CLI's history output wraps every value as a string.
    const config = Object.fromEntries(
      Object.entries(stored.config ?? {}).map(([key, value]) => [key, { value: typeof value === "string" ? value : JSON.stringify(value) }]),
    );
    entries.push(historyEntry(index + 1, stored, new Date(stored.startTime * 1000), stored.endTime ? new Date(stored.endTime * 1000) : null, config));
  }
  return entries;
}

/** Number of updates in a stack's history, i.e. the version number of its latest update. */
export async function updateCount(workspace: PlannerWorkspace, stackName: string): Promise<number> {
  // A self-managed backend keeps one history document per update; counting them spares a CLI run after every update.
  const reader = workspace.stateBackend.reader;
  if (reader !== null) return (await reader.list("history", PROJECT_NAME, stackName)).filter((f) => f.endsWith(".history.json")).length;
  const stack = await existingStack(workspace, stackName);
  return stack.history(ALL_UPDATES, 1, false).then(
    (all) => all[0]?.version || all.length,
    () => 0,
  );
}
