import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendAudit, auditLogPath, readAudit } from "../../src/automation/records/audit";
import { queryAudit, verifyAudit } from "../../src/automation/records/audit-verify";
import { SecretMasker } from "../../src/secrets/index";

const BIN = path.resolve(__dirname, "..", "..", "bin", "deployment-planner.cjs");

describe("the tamper-evident audit trail", () => {
  let workspace: string;
  let dataDir: string;

  beforeEach(async () => {
    workspace = await mkdtemp(path.join(os.tmpdir(), "dp-audit-"));
    dataDir = path.join(workspace, ".deployment-planner");
  });
  afterEach(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  async function writeTrail(count: number): Promise<string[]> {
    // Concurrent appends: the chain must still link every entry to exactly one predecessor.
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        appendAudit(dataDir, { action: i % 2 ? "deploy" : "destroy", stack: `${i % 3 ? "alpha" : "beta"}.staging`, status: "success", actor: `user${i}` }),
      ),
    );
    return (await readFile(auditLogPath(dataDir), "utf8")).trimEnd().split("\n");
  }

  function cli(...args: string[]) {
    return spawnSync(process.execPath, [BIN, "audit", ...args, "--workspace", workspace, "--json"], { encoding: "utf8", timeout: 60_000 });
  }

  it("chains concurrent appends and verifies intact, from the library and the CLI", async () => {
    const lines = await writeTrail(25);
    expect(lines).toHaveLength(25);
    expect(await verifyAudit(dataDir)).toEqual({ intact: true, entries: 25 });
    const entries = await readAudit(dataDir);
    expect(new Set(entries.map((e) => e.prev_hash)).size).toBe(25);
    const run = cli("verify");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ status: "intact", entries: 25 });
  });

  it.each([
    ["an edited entry", (lines: string[]) => ((lines[6] = lines[6]!.replace(/"actor":"user\d+"/, '"actor":"mallory"')), lines), 7, "edited"],
    ["a removed entry", (lines: string[]) => (lines.splice(4, 1), lines), 5, "removed or reordered"],
    ["two swapped entries", (lines: string[]) => (([lines[2], lines[3]] = [lines[3]!, lines[2]!]), lines), 3, "removed or reordered"],
    ["a removed last entry", (lines: string[]) => lines.slice(0, -1), 10, "removed from its end"],
  ] as const)("names the first bad entry after %s, and the CLI exits non-zero", async (_name, tamper, line, reason) => {
    const lines = await writeTrail(10);
    await writeFile(auditLogPath(dataDir), tamper([...lines]).join("\n") + "\n");
    const result = await verifyAudit(dataDir);
    expect(result.intact).toBe(false);
    expect(result.firstBad).toMatchObject({ line, reason: expect.stringContaining(reason) });
    const run = cli("verify");
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "tampered", first_bad_entry: { line } });
  });

  it("heals what a crash mid-append leaves: a cut-off last line is dropped, a complete uncounted entry is counted", async () => {
    const lines = await writeTrail(3);
    // Killed while writing the fourth line: half a line, no newline, head still at three.
    await writeFile(auditLogPath(dataDir), lines.join("\n") + "\n" + lines[2]!.slice(0, 40));
    await appendAudit(dataDir, { action: "deploy", stack: "alpha.staging", status: "success", actor: "after-crash" });
    expect(await verifyAudit(dataDir)).toEqual({ intact: true, entries: 4 });

    // Killed after writing a whole line but before recording the head.
    const head = await readFile(path.join(dataDir, "audit.head"), "utf8");
    await appendAudit(dataDir, { action: "deploy", stack: "alpha.staging", status: "success", actor: "fifth" });
    await writeFile(path.join(dataDir, "audit.head"), head);
    await appendAudit(dataDir, { action: "deploy", stack: "alpha.staging", status: "success", actor: "sixth" });
    expect(await verifyAudit(dataDir)).toEqual({ intact: true, entries: 6 });
    expect((await readAudit(dataDir)).map((e) => e.actor).slice(3)).toEqual(["after-crash", "fifth", "sixth"]);
  });

  it("masks secrets before hashing, and exports by project and time", async () => {
    const masker = new SecretMasker();
    masker.add("sk_live_audit_secret_value");
    await appendAudit(dataDir, { action: "deploy", stack: "alpha.production", status: "error", actor: null, reason: "bad key sk_live_audit_secret_value" }, masker);
    await appendAudit(dataDir, { action: "deploy", stack: "beta.production", status: "success", actor: null });
    expect(await readFile(auditLogPath(dataDir), "utf8")).not.toContain("sk_live_audit_secret_value");
    expect((await verifyAudit(dataDir)).intact).toBe(true);
    expect((await queryAudit(dataDir, { projectId: "alpha" })).map((e) => e.stack)).toEqual(["alpha.production"]);
    expect(await queryAudit(dataDir, { since: new Date(Date.now() + 60_000) })).toEqual([]);
    const run = cli("--project", "beta");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).entries.map((e: { stack: string }) => e.stack)).toEqual(["beta.production"]);
    const bad = cli("--since", "not-a-time");
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: "error", stage: "validation" });
  });
});
