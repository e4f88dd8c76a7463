import { failure, isFailure, type FailureResult } from "../../outcome";
import { AutomationError, principalOf, workspaceDataDir, type PlannerWorkspace } from "../workspace/index";
import type { StackSpec } from "../../planner/spec";
import { SecretMasker } from "../../secrets/index";
import { retainArtifact } from "./artifact-retention";
import { appendAudit, type AuditRecord } from "../records/index";
import { newOperationId, type OperationNote } from "../engine/index";
import type { DeployOptions } from "./deploy-types";
import { openWorkspace } from "../backend/index";

/** What the whole deployment audits: the kind of run and the spec it is about, once known. */
type DeployAction = "deploy" | "preview" | "redeploy" | "rollback" | "promote" | "sync";

/**
 * The state one `planAndDeploy` run carries through its stages: its options, start time, the masker that learns each
 * resolved secret, the workspace once opened, and what its single audit record will say.
 */
export class DeploymentRun {
  readonly started = Date.now();
  readonly masker = new SecretMasker();
  /** The run's id: its history entries' notes and its audit record carry it. */
  readonly id = newOperationId();
  /** Who runs it: the caller's actor (a service token, a webhook), else the operating-system user. */
  readonly principal: string;
  action: DeployAction = "deploy";
  /** The stack the run is about, once the plan named it; a run that fails before that is not audited. */
  stack: string | undefined;
  spec: StackSpec | undefined;
  /** The update message for the stack's history; default one naming the action, version, deployer and bundle. */
  message: string | undefined;
  /** More fields for the audit record (a rollback's from and to versions). */
  auditDetails: Partial<AuditRecord> = {};
  /** More of what the history entries' notes say (a rollback's from and to updates, a promotion's source). */
  note: Partial<Pick<OperationNote, "from" | "to" | "source">> = {};
  private openedWorkspace: PlannerWorkspace | undefined;

  constructor(readonly options: DeployOptions) {
    this.openedWorkspace = options.workspace;
    this.principal = principalOf(options.actor);
  }

  /** Progress lines for a person. */
  progress = (line: string): void => this.options.onProgress?.(line);

  /** The workspace, opened on first use (finding or building the toolchain). */
  async workspace(): Promise<PlannerWorkspace> {
    this.openedWorkspace ??= await openWorkspace({ ...this.options, onProgress: this.progress });
    return this.openedWorkspace;
  }

  /** Records the spec the run applies from here on (after planning, after packaging). */
  about(spec: StackSpec): void {
    this.spec = spec;
    this.stack = spec.stack;
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return Date.now() - this.started;
  }

  /** Ends the run on a thrown error: a typed error becomes its failure object, anything else an internal error. */
  async fail(error: unknown): Promise<FailureResult> {
    if (error instanceof AutomationError) {
      this.auditDetails = { ...this.auditDetails, code: error.code };
      return this.finish(error.toFailure());
    }
    const message = this.masker.mask(error instanceof Error ? error.message : String(error));
    return this.finish(
      failure("internal", `unexpected error: ${message.split("\n")[0]?.slice(0, 500)}`, "This is a bug in deployment-planner; the log file has details. Please report it."),
    );
  }

  /** Ends the run with its result: one audit record of the outcome (when the run named a stack), then the result. */
  async finish<T extends { status: string }>(result: T): Promise<T> {
    if (this.stack === undefined) return result;
    // Checks that fail before the workspace is opened are audited in its data directory all the same.
    const dataDir = this.openedWorkspace?.dataDir ?? workspaceDataDir(this.options.workspaceDir ?? process.cwd());
    const failed = isFailure(result) ? (result as unknown as FailureResult) : undefined;
    const version = (result as { version?: unknown }).version;
    await appendAudit(
      dataDir,
      {
        action: this.action,
        stack: this.stack,
        status: failed ? "error" : "success",
        actor: this.principal,
        deployer: this.spec?.deployer_id ?? this.spec?.user_id ?? null,
        operation_id: this.id,
        // A run that failed once its signal was aborted was cancelled, whatever stage noticed it.
        ...(failed && this.options.signal?.aborted ? { code: "CANCELLED" } : {}),
        version_name: this.spec?.version_name ?? null,
        artifact_digest: this.spec?.artifact?.digest ?? null,
        target: this.spec?.target,
        ...(failed ? { stage: failed.stage, reason: failed.reason } : {}),
        ...(typeof version === "number" ? { update_version: version } : {}),
        ...this.auditDetails,
        duration_ms: this.elapsed(),
      },
      this.masker,
    ).catch(() => undefined);
    // A converged deployment made no new version: its bundle is already kept, and there is nothing new to prune.
    const converged = (result as { converged?: unknown }).converged === true;
    if (result.status === "success" && this.spec?.artifact && this.openedWorkspace && !converged) {
      // Keeps this version's bundle for rollback and prunes what no stack keeps; a failure here never fails the deploy.
      await retainArtifact(this.openedWorkspace, this.spec.stack, this.spec.artifact.digest, this.options.retainVersions).catch(() => undefined);
    }
    return result;
  }
}
