import os from "node:os";
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/automation/records/audit";
import type { HistoryEntry } from "../../src/automation/engine/history";
import { outcomeOf, type RecordedOperations } from "../../src/automation/engine/operation-outcomes";
import { describeOperationLine, describePast, describeServing, stackFacts } from "../../src/automation/engine/stack-facts";
import { describeOperation, messageSummary, noteMessage, readNote } from "../../src/automation/engine/update-message";
import { formatDoneChanges } from "../../src/cli/shared";

/** A history entry as `stackHistory` returns it; override what the case is about. */
function entry(update: number, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    update,
    version: update,
    kind: "update",
    result: "succeeded",
    outcome: "succeeded",
    operation: "deploy",
    description: "deploy",
    ranBy: "alice",
    rolledBackFrom: null,
    rolledBackTo: null,
    promotedFrom: null,
    operationId: `op${update}`,
    startTime: `2026-05-01T10:0${update}:00.000Z`,
    endTime: `2026-05-01T10:0${update}:30.000Z`,
    message: "",
    deployer: null,
    versionName: `v${update}`,
    artifactDigest: null,
    target: "local",
    resourceChanges: {},
    spec: null,
    secretsFingerprint: null,
    confirmed: null,
    ...overrides,
  };
}

const NO_RECORDS: RecordedOperations = { byId: new Map(), byStack: new Map() };

describe("what an update's message records of its operation", () => {
  it("reads back the operation, who ran it, the deployer and a rollback's updates, whatever characters the names hold", () => {
    const message = noteMessage("rollback pf.development from 3 to 2 (version v2)", { operation: "rollback", by: "token:ab12 ]x=y", deployer: "Zoë Müller", id: "abc", from: 3, to: 2 });
    expect(messageSummary(message)).toBe("rollback pf.development from 3 to 2 (version v2)");
    expect(readNote(message, "update")).toMatchObject({ operation: "rollback", by: "token:ab12 ]x=y", deployer: "Zoë Müller", id: "abc", from: 3, to: 2, host: os.hostname(), pid: process.pid });
    expect(describeOperation(readNote(message, "update"))).toBe("rollback from 3 to 2");
  });

  it("reads messages written before notes existed from their wording, and never takes their 'by' (the deployer) for who ran them", () => {
    expect(readNote("rollback pf.development from 2 to 1 (version v1)", "update")).toMatchObject({ operation: "rollback", from: 2, to: 1, by: null });
    expect(describeOperation(readNote("promote pf.staging update 4 (version s2) to pf.production", "update"))).toBe("promote from pf.staging update 4");
    expect(readNote("deploy pf.development version v1 by user_129 bundle sha256:abc", "update")).toMatchObject({ operation: "deploy", by: null, deployer: null });
    expect(readNote("destroy pf.development", "destroy")).toMatchObject({ operation: "destroy" });
    // An update made by hand (`pulumi up`) has no message of this product's.
    expect(readNote("", "update").operation).toBe("update");
  });
});

describe("what a stack serves and what happened last, from its history", () => {
  it("serves the newest update that succeeded; a cancelled update after it shows as cancelled, never as the version", () => {
    const facts = stackFacts([entry(3, { result: "failed", outcome: "cancelled" }), entry(2), entry(1)]);
    expect(facts.serving).toMatchObject({ update: 2, version_name: "v2", by: "alice" });
    expect(facts.last).toMatchObject({ update: 3, version_name: "v3", outcome: "cancelled", result: "failed" });
    const summary = { serving: facts.serving, destroyed: facts.destroyed, last_update: facts.last };
    expect(describeServing(summary)).toBe("serving update 2 (version v2)");
    expect(describeServing(summary, "serving")).toBe("serving update 2 (version v2)");
    // The live check of the URL found something else: the current update is not said to serve.
    expect(describeServing(summary, "foreign")).toBe("update 2 (version v2) is the current release, but its URL does not serve it now (foreign)");
    expect(describeOperationLine(facts.last!)).toBe("update 3: deploy of v3 cancelled by alice at 2026-05-01T10:03:30.000Z");
  });

  it("serves nothing after a destroy, and says who destroyed it and when", () => {
    const destroy = entry(4, { kind: "destroy", operation: "destroy", description: "destroy", ranBy: "bob", versionName: "v3" });
    const facts = stackFacts([destroy, entry(3)]);
    expect(facts.serving).toBeNull();
    expect(describeServing({ serving: facts.serving, destroyed: facts.destroyed, last_update: facts.last })).toBe("serves nothing: update 4: destroyed by bob at 2026-05-01T10:04:30.000Z");
    // A refresh or a failed update after the destroy does not bring anything back.
    expect(stackFacts([entry(6, { result: "failed", outcome: "failed" }), entry(5, { kind: "refresh", operation: "refresh" }), destroy]).serving).toBeNull();
  });

  it("shows an operation cancelled before the engine recorded any update, after the newest entry", () => {
    const cancelled = { time: "2026-05-01T11:00:00.000Z", action: "deploy", stack: "pf.development", status: "error", code: "CANCELLED", actor: "carol", version_name: "v4", operation_id: "late", host: "h", prev_hash: "", hash: "" } as AuditEntry;
    const facts = stackFacts([entry(3)], [cancelled]);
    expect(facts.serving).toMatchObject({ update: 3 });
    expect(describeOperationLine(facts.last!)).toBe("deploy of v4 cancelled by carol at 2026-05-01T11:00:00.000Z");
    // The record of the newest entry's own operation adds nothing.
    expect(stackFacts([entry(3, { operationId: "late" })], [cancelled]).last).toMatchObject({ update: 3 });
  });

  it("words done work in the past tense: rollbacks and promotions say from where", () => {
    expect(describePast({ ...stackFacts([entry(4, { operation: "rollback", description: "rollback from 3 to 1", versionName: "v1" })]).serving! })).toBe("rolled back from 3 to 1 (v1)");
    expect(describePast(stackFacts([entry(2, { operation: "promote", description: "promote from pf.staging update 5" })]).serving!)).toBe("promoted from pf.staging update 5 (v2)");
    expect(describePast(stackFacts([entry(2, { operation: "rollback", description: "rollback from 3 to 1", result: "failed", outcome: "failed" })]).last!)).toBe("rollback from 3 to 1 (v2) failed");
    expect(formatDoneChanges({ delete: 4, same: 0 })).toBe("4 resources deleted");
    expect(formatDoneChanges({ create: 1, replace: 2, same: 3 })).toBe("1 resource created, 2 replaced");
    expect(formatDoneChanges({ same: 3 })).toBe("nothing changed");
  });
});

describe("an operation's outcome", () => {
  const failed = { result: "failed", startTime: new Date().toISOString() };
  const record = (code: string | undefined) =>
    ({ byId: new Map([["op", { status: "error", code } as AuditEntry]]), byStack: new Map() }) satisfies RecordedOperations;

  it("is cancelled when its record says so, failed for any other error", async () => {
    expect(await outcomeOf({ ...failed, note: { id: "op", host: os.hostname(), pid: process.pid } }, record("CANCELLED"))).toBe("cancelled");
    expect(await outcomeOf({ ...failed, note: { id: "op", host: os.hostname(), pid: process.pid } }, record("ENGINE_FAILED"))).toBe("failed");
    // An update the engine finished whose health check then failed did not succeed as a deployment.
    expect(await outcomeOf({ result: "succeeded", startTime: failed.startTime, note: { id: "op", host: null, pid: null } }, record("HEALTH_CHECK_FAILED"))).toBe("failed");
  });

  it("is interrupted when its process on this host is gone without a record, and the engine's result otherwise", async () => {
    const gone = 2 ** 22 + 11;
    expect(await outcomeOf({ ...failed, note: { id: "op", host: os.hostname(), pid: gone } }, NO_RECORDS)).toBe("interrupted");
    // Still running here: not interrupted (its record comes at its end); another host keeps its own records.
    expect(await outcomeOf({ ...failed, note: { id: "op", host: os.hostname(), pid: process.pid } }, NO_RECORDS)).toBe("failed");
    expect(await outcomeOf({ ...failed, note: { id: "op", host: "another-host", pid: gone } }, NO_RECORDS)).toBe("failed");
    expect(await outcomeOf({ ...failed, note: { id: null, host: null, pid: null } }, NO_RECORDS)).toBe("failed");
  });
});
