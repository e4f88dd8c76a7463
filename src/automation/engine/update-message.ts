import { randomBytes } from "node:crypto";
import os from "node:os";
import type { StackSpec } from "../../planner/spec";

/** The operations of this product that leave an entry in a stack's history. */
export type OperationKind = "deploy" | "redeploy" | "rollback" | "promote" | "sync" | "destroy" | "refresh";

const OPERATIONS: readonly string[] = ["deploy", "redeploy", "rollback", "promote", "sync", "destroy", "refresh"] satisfies readonly OperationKind[];

/**
 * What the product records of one operation in the message of each history entry it makes: what it was, who ran it,
 * for whom, and the id its audit record carries too (which tells a cancelled update from a failed one).
 */
export interface OperationNote {
  /** An `OperationKind`; for an update this product did not make (a `pulumi up` by hand), the engine's kind. */
  readonly operation: string;
  /** Who ran it: the operating-system user, a service token, a webhook. Null when the entry does not say. */
  readonly by: string | null;
  /** Who the request named as its deployer (`deployer_id`), when it named one. */
  readonly deployer: string | null;
  /** The operation's id, shared by its history entries and its audit record. */
  readonly id: string | null;
  /** The host that ran it, and its process there (tells an operation still running from one that was killed). */
  readonly host: string | null;
  readonly pid: number | null;
  /** A rollback's current update before it, or the source update a promotion gave the stack. */
  readonly from: number | null;
  /** The update a rollback re-applied. */
  readonly to: number | null;
  /** The stack a promotion came from. */
  readonly source: string | null;
  /**
   * A keyed hash of the secret values the update resolved (`none` when it resolved none), never a value: a later
   * deployment with the same spec, bundle and fingerprint changes nothing and need not run the engine.
   */
  readonly secrets: string | null;
}

/** Marks the machine-readable part at the end of an update message. */
const TAG = "deployment-planner";
const TRAILER = new RegExp(`\\s*\\[${TAG}((?: [a-z]+=[^\\s\\]]*)*)\\]\\s*$`);

/** A new operation id: short, random, unique enough to pair a stack's history entries with audit records. */
export function newOperationId(): string {
  return randomBytes(6).toString("hex");
}

/**
 * An update message: `summary` for a person, then the note in brackets (`[deployment-planner operation=rollback
 * by=alice from=3 to=2 id=… host=…]`), values percent-encoded so that any name fits.
 */
export function noteMessage(summary: string, note: Partial<OperationNote> & Pick<OperationNote, "operation" | "by" | "id">): string {
  const fields: [string, string | number | null | undefined][] = [
    ["operation", note.operation],
    ["by", note.by],
    ["deployer", note.deployer],
    ["from", note.from],
    ["to", note.to],
    ["source", note.source],
    ["secrets", note.secrets],
    ["id", note.id],
    ["host", note.host ?? os.hostname()],
    ["pid", note.pid ?? process.pid],
  ];
  const pairs = fields.filter(([, value]) => value !== null && value !== undefined && value !== "").map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`);
  return `${summary} [${TAG} ${pairs.join(" ")}]`;
}

/** The readable part of an update's message: what, which version, for which deployer, which bundle. */
export function updateMessage(spec: StackSpec, action: string): string {
  const parts = [`${action} ${spec.stack}`];
  if (spec.version_name) parts.push(`version ${spec.version_name}`);
  if (spec.deployer_id) parts.push(`deployer ${spec.deployer_id}`);
  if (spec.artifact) parts.push(`bundle ${spec.artifact.digest.slice(0, 19)}`);
  return parts.join(" ");
}

/** The message without its note: what a person reads. */
export function messageSummary(message: string): string {
  return message.replace(TRAILER, "");
}

/**
 * The note of a history entry. Messages written before notes existed (and updates made by hand) are read from their
 * wording: the first word names the operation, a rollback says `from N to M`, a promotion `promote <stack> update N`;
 * who ran them is unknown (null), since their `by` named the spec's deployer.
 */
export function readNote(message: string, engineKind: string): OperationNote {
  const trailer = TRAILER.exec(message);
  if (trailer) {
    const fields = new Map<string, string>();
    for (const pair of (trailer[1] ?? "").trim().split(" ").filter(Boolean)) {
      const at = pair.indexOf("=");
      try {
        fields.set(pair.slice(0, at), decodeURIComponent(pair.slice(at + 1)));
      } catch {
        fields.set(pair.slice(0, at), pair.slice(at + 1));
      }
    }
    const number = (key: string) => (fields.has(key) && /^\d+$/.test(fields.get(key)!) ? Number(fields.get(key)) : null);
    return {
      operation: fields.get("operation") ?? engineKind,
      by: fields.get("by") ?? null,
      deployer: fields.get("deployer") ?? null,
      id: fields.get("id") ?? null,
      host: fields.get("host") ?? null,
      pid: number("pid"),
      from: number("from"),
      to: number("to"),
      source: fields.get("source") ?? null,
      secrets: fields.get("secrets") ?? null,
    };
  }
  const first = /^(\S+)\s/.exec(message)?.[1] ?? "";
  const operation = OPERATIONS.includes(first) ? first : engineKind === "update" ? "update" : engineKind;
  const rolledBack = operation === "rollback" ? / from (\d+) to (\d+)/.exec(message) : null;
  const promoted = operation === "promote" ? /^promote (\S+) update (\d+)/.exec(message) : null;
  return {
    operation,
    by: null,
    deployer: null,
    id: null,
    host: null,
    pid: null,
    from: rolledBack ? Number(rolledBack[1]) : promoted ? Number(promoted[2]) : null,
    to: rolledBack ? Number(rolledBack[2]) : null,
    source: promoted?.[1] ?? null,
    secrets: null,
  };
}

/** The operation as history shows it: `deploy`, `rollback from 2 to 1`, `promote from pf.staging update 3`. */
export function describeOperation(note: Pick<OperationNote, "operation" | "from" | "to" | "source">): string {
  if (note.operation === "rollback" && note.from !== null && note.to !== null) return `rollback from ${note.from} to ${note.to}`;
  if (note.operation === "promote" && note.source !== null) return `promote from ${note.source}${note.from !== null ? ` update ${note.from}` : ""}`;
  return note.operation;
}
