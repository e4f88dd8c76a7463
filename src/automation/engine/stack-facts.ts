import type { AuditEntry } from "../records/index";
import type { HistoryEntry } from "./history";
import type { OperationOutcome } from "./operation-outcomes";

/** One operation on a stack as `list` and `status` report it. */
export interface OperationFacts {
  /** Its entry's number in the stack's history ("update N"); null for an operation that ended before the engine recorded one. */
  readonly update: number | null;
  /** deploy, redeploy, rollback, promote, sync, destroy, refresh (`update` for one made by hand). */
  readonly operation: string;
  /** The operation as a person reads it, e.g. `rollback from 2 to 1`. */
  readonly description: string;
  readonly outcome: OperationOutcome;
  /** The release name it applied (e.g. v3), from the engine's history. */
  readonly version_name: string | null;
  /** When it ended (or started, when it never ended). */
  readonly time: string;
  /** Who ran it: the operating-system user, a service token, a webhook; null where the record does not say. */
  readonly by: string | null;
  /** Who the request named as its deployer, when it named one. */
  readonly deployer: string | null;
}

/** The newest entry of a stack's history, with the engine's own kind and result kept for existing readers. */
export interface LastUpdate extends OperationFacts {
  readonly kind: string;
  readonly result: string;
}

/** What a stack's history says it serves and what happened last. */
export interface StackFacts {
  /** The update that serves: the newest that succeeded, unless a destroy succeeded after it. */
  readonly serving: OperationFacts | null;
  /** The newest operation: the newest history entry, or a cancelled operation the engine never recorded after it. */
  readonly last: LastUpdate | null;
  /** The destroy that left the stack serving nothing, when nothing was deployed since. */
  readonly destroyed: OperationFacts | null;
}

/** Whether an entry decides what the stack serves: an update or destroy that succeeded (a refresh never does). */
export function decidesServing(entry: Pick<HistoryEntry, "kind" | "result">): boolean {
  return entry.result === "succeeded" && (entry.kind === "update" || entry.kind === "destroy");
}

/**
 * What serves and what happened last, from a stack's history (newest first, at least down to the entry that decides
 * what serves) and the audit trail's records of the stack's operations (oldest first). Never from the stack file,
 * which holds the last requested spec, cancelled or not.
 */
export function stackFacts(newestFirst: readonly HistoryEntry[], records: readonly AuditEntry[] = []): StackFacts {
  const decisive = newestFirst.find(decidesServing);
  const newest = newestFirst[0];
  let last: LastUpdate | null = newest ? { ...operationFacts(newest), kind: newest.kind, result: newest.result } : null;
  const unrecorded = cancelledAfter(newest, records);
  if (unrecorded) last = unrecorded;
  return {
    serving: decisive?.kind === "update" ? operationFacts(decisive) : null,
    last,
    destroyed: decisive?.kind === "destroy" ? operationFacts(decisive) : null,
  };
}

function operationFacts(entry: HistoryEntry): OperationFacts {
  return {
    update: entry.update,
    operation: entry.operation,
    description: entry.description,
    outcome: entry.outcome,
    version_name: entry.versionName,
    time: entry.endTime ?? entry.startTime,
    by: entry.ranBy,
    deployer: entry.deployer,
  };
}

/**
 * An operation cancelled after the newest history entry that left no entry of its own (cancelled while it packaged,
 * waited for the stack's lock, or its engine was stopped before it recorded the update), or null.
 */
function cancelledAfter(newest: HistoryEntry | undefined, records: readonly AuditEntry[]): LastUpdate | null {
  const record = records.at(-1);
  if (!record || record.code !== "CANCELLED" || !record.operation_id || record.operation_id === newest?.operationId) return null;
  if (newest && Date.parse(record.time) <= Date.parse(newest.endTime ?? newest.startTime)) return null;
  return {
    update: null,
    operation: record.action,
    description: record.action,
    outcome: "cancelled",
    version_name: record.version_name ?? null,
    time: record.time,
    by: record.actor,
    deployer: record.deployer ?? null,
    kind: "update",
    result: "cancelled",
  };
}

/**
 * A past operation in words, in the past tense when it succeeded: `deployed v3`, `rolled back from 2 to 1 (v1)`,
 * `destroyed`; otherwise what it was and how it ended: `deploy of v3 cancelled`, `rollback from 3 to 2 (v2) failed`.
 */
export function describePast(facts: OperationFacts): string {
  const named = ["deploy", "redeploy", "sync"].includes(facts.operation);
  const release = facts.version_name === null || ["destroy", "refresh"].includes(facts.operation) ? "" : named ? ` ${facts.version_name}` : ` (${facts.version_name})`;
  if (facts.outcome !== "succeeded") {
    const what = named && release ? `${facts.description} of${release}` : `${facts.description}${release}`;
    return `${what} ${facts.outcome === "in-progress" ? "in progress" : facts.outcome}`;
  }
  const past: Record<string, string> = { deploy: "deployed", redeploy: "redeployed", sync: "synced", destroy: "destroyed", refresh: "refreshed", rollback: "rolled back", promote: "promoted", update: "updated by hand" };
  const [verb = facts.description, ...rest] = facts.description.split(" ");
  return [past[verb] ?? verb, ...rest].join(" ") + release;
}

/** Who and when, for a person: `by alice at 2026-05-01T10:00:00.000Z`. */
export function byWhomAndWhen(facts: Pick<OperationFacts, "by" | "time">): string {
  return `${facts.by ? `by ${facts.by} ` : ""}at ${facts.time}`;
}

/** One operation for a person: `update 3: deploy of v3 cancelled by alice at …` (no number when the engine recorded none). */
export function describeOperationLine(facts: OperationFacts): string {
  return `${facts.update !== null ? `update ${facts.update}: ` : ""}${describePast(facts)} ${byWhomAndWhen(facts)}`;
}

/**
 * What a stack serves, for a person: `serving update 2 (version v2)`, `serves nothing: destroyed …`, `never updated`.
 * `liveState` is what a live check of the URL found (`serving`, `down`, `foreign`, …), when one ran: a current update
 * whose URL does not serve it now is not said to serve.
 */
export function describeServing(
  summary: { readonly serving: OperationFacts | null; readonly destroyed: OperationFacts | null; readonly last_update: OperationFacts | null },
  liveState?: string | null,
): string {
  if (summary.serving) {
    const current = `update ${summary.serving.update}${summary.serving.version_name ? ` (version ${summary.serving.version_name})` : ""}`;
    return liveState && liveState !== "serving" ? `${current} is the current release, but its URL does not serve it now (${liveState.replace(/_/g, " ")})` : `serving ${current}`;
  }
  if (summary.destroyed) return `serves nothing: ${describeOperationLine(summary.destroyed)}`;
  return summary.last_update ? "serves nothing: no update succeeded" : "never updated";
}

