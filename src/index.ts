/**
 * Deployment Planner's library API: plan a deployment request into a typed stack spec, and deploy, preview, refresh,
 * destroy and inspect the per-project Pulumi stacks it runs on.
 */
export { plan, type PlanOptions, type PlanResult, type PlannedResult, type RedeployIntent, type RedeployResult } from "./planner/index";
export * from "./planner/spec";
export * from "./outcome";
export { planAndDeploy, type DeployOptions, type DeployResult, type DeploySuccess, type PreviewOnlyResult } from "./automation/deploy";
export { rollback, type RollbackOptions, type RollbackSuccess } from "./automation/rollback";
export { verifyAudit, queryAudit, type AuditVerification, type AuditQuery } from "./automation/audit-verify";
export type { AuditEntry, AuditRecord, AuditAction } from "./automation/audit";
export { promote, type PromoteOptions, type PromoteSuccess, type PromoteDryRun, type PromoteCommitted, type PromotedVersion } from "./automation/promote";
export { sync, type SyncOptions, type SyncOutcome } from "./automation/sync";
export { listStacks, type ListStacksOptions, type StackSummary } from "./automation/stack-list";
export { stackStatus, type StackStatus } from "./automation/stack-status";
export type { OperationFacts, LastUpdate } from "./automation/stack-facts";
export type { OperationOutcome } from "./automation/operation-outcomes";
export { collectExpiredPreviews, type GcOptions, type GcResult } from "./automation/gc";
export { previewStack, upStack, destroyStack, refreshStack, type DestroyOptions } from "./automation/operations";
export { stackOutputs, currentStackSpec } from "./automation/stack-queries";
export { stackHistory, type HistoryEntry } from "./automation/history";
export type {
  OperationOptions,
  PreviewResult,
  UpResult,
  DestroyResult,
  RefreshResult,
  StackOutputs,
  ChangeSummary,
  PlannedStep,
} from "./automation/operation-types";
export { unlockStack, lockHolders, type LockHolder, type UnlockResult } from "./automation/locks";
export { openWorkspace, PROJECT_NAME, type PlannerWorkspace, type WorkspaceOptions } from "./automation/workspace";
export { LEASE_TTL_ENV, type StateBackend, type StateReader } from "./automation/state-backend";
export { ensurePulumi, PULUMI_VERSION, FALLBACK_LANGUAGE_HOST_VERSION, type PulumiToolchain, type LanguageHost } from "./automation/toolchain";
export * from "./automation/errors";
export { OptionalPackagesMissingError, SERVICE_PACKAGES, type ServicePackage } from "./automation/service-packages";
export { programFor } from "./stacks/program";
export { resolveSecrets, SecretMasker } from "./secrets/index";
