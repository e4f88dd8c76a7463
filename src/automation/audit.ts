import { appendFile, mkdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TextMasker } from "../secrets/masker";

/** One audited action. Holds names, versions and digests only — never a secret value. */
export interface AuditRecord {
  readonly time: string;
  readonly action: "deploy" | "preview" | "destroy" | "refresh" | "redeploy" | "unlock" | "repair";
  readonly stack: string;
  readonly status: "success" | "error";
  readonly actor: string | null;
  readonly version_name?: string | null;
  readonly artifact_digest?: string | null;
  readonly target?: string;
  readonly stage?: string;
  readonly reason?: string;
  readonly update_version?: number;
  readonly host: string;
  readonly duration_ms?: number;
}

/** Path of a workspace's append-only audit log (JSON Lines). */
export function auditLogPath(dataDir: string): string {
  return path.join(dataDir, "audit.log");
}

/** Appends one record to the audit log; text fields pass through the masker first. */
export async function appendAudit(
  dataDir: string,
  record: Omit<AuditRecord, "time" | "host">,
  masker?: TextMasker,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const full: AuditRecord = { time: new Date().toISOString(), host: os.hostname(), ...record };
  const line = JSON.stringify(full);
  // O_APPEND writes of one line are atomic for lines this short, so concurrent deploys do not interleave records.
  await appendFile(auditLogPath(dataDir), (masker ? masker.mask(line) : line) + "\n", { mode: 0o600 });
}

/** Reads the audit log, oldest first. */
export async function readAudit(dataDir: string): Promise<AuditRecord[]> {
  const text = await readFile(auditLogPath(dataDir), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** What an audited operation records besides its outcome. */
export type AuditSubject = Omit<AuditRecord, "time" | "host" | "status" | "duration_ms" | "stage" | "reason">;

/**
 * Runs an operation and appends one audit record of its outcome: success, or error with the failing stage and the
 * masked reason. An audit log that cannot be written never fails the operation itself.
 */
export async function audited<T>(
  dataDir: string,
  subject: AuditSubject,
  masker: TextMasker | undefined,
  run: () => Promise<T>,
  details: (result: T) => Partial<AuditRecord> = () => ({}),
): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    await appendAudit(dataDir, { ...subject, status: "success", ...details(result), duration_ms: Date.now() - started }, masker).catch(() => undefined);
    return result;
  } catch (error) {
    const failed = error as { stage?: string; message?: string };
    await appendAudit(
      dataDir,
      {
        ...subject,
        status: "error",
        stage: typeof failed.stage === "string" ? failed.stage : "internal",
        reason: String(failed.message ?? error).split("\n")[0]?.slice(0, 500),
        duration_ms: Date.now() - started,
      },
      masker,
    ).catch(() => undefined);
    throw error;
  }
}
