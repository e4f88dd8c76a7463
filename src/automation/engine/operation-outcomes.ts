import os from "node:os";
import { readAudit, type AuditEntry } from "../records/index";
import { isSameProcess } from "../workspace/index";
import type { OperationNote } from "./update-message";

/**
 * How an operation ended for the product. The engine's `succeeded` and `failed` are refined with what the operation
 * recorded in the audit trail: `cancelled` (its AbortSignal, Ctrl-C), `failed` for an update whose health check then
 * failed, and `interrupted` for one whose process on this host ended before it could record anything (killed).
 */
export type OperationOutcome = "succeeded" | "failed" | "cancelled" | "interrupted" | "in-progress";

/** The audit trail's records of operations, by operation id and by stack (oldest first). */
export interface RecordedOperations {
  readonly byId: ReadonlyMap<string, AuditEntry>;
  readonly byStack: ReadonlyMap<string, readonly AuditEntry[]>;
}

/** Actions whose records describe an operation that may change what a stack serves. */
const CHANGING_ACTIONS = new Set(["deploy", "redeploy", "rollback", "promote", "sync", "destroy"]);

/** Reads the workspace's audit trail into records by operation id and by stack; empty when there is none. */
export async function recordedOperations(dataDir: string): Promise<RecordedOperations> {
  const entries = await readAudit(dataDir).catch(() => [] as AuditEntry[]);
  const byId = new Map<string, AuditEntry>();
  const byStack = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    if (entry.operation_id) byId.set(entry.operation_id, entry);
    if (!CHANGING_ACTIONS.has(entry.action)) continue;
    const list = byStack.get(entry.stack) ?? [];
    list.push(entry);
    byStack.set(entry.stack, list);
  }
  return { byId, byStack };
}

/** A history entry as far as its outcome goes: the engine's result, its note and when it started. */
export interface OutcomeInput {
  readonly result: string;
  readonly startTime: string;
  readonly note: Pick<OperationNote, "id" | "host" | "pid">;
}

/**
 * The product's outcome of one history entry. Whether a record of it exists decides `interrupted` only for an
 * operation of this host whose process is gone: one that still runs has not recorded its end yet, and another host
 * keeps its own records.
 */
export async function outcomeOf(entry: OutcomeInput, recorded: RecordedOperations): Promise<OperationOutcome> {
  const engine: OperationOutcome = entry.result === "succeeded" ? "succeeded" : entry.result === "in-progress" ? "in-progress" : "failed";
  const id = entry.note.id;
  if (id === null || engine === "in-progress") return engine;
  const record = recorded.byId.get(id);
  if (record) {
    if (record.status === "success") return engine;
    return record.code === "CANCELLED" ? "cancelled" : "failed";
  }
  if (entry.note.host !== os.hostname() || entry.note.pid === null) return engine;
  return (await isSameProcess(entry.note.pid, Date.parse(entry.startTime))) ? engine : "interrupted";
}
