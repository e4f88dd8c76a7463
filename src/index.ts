/**
 * Deployment Planner's library API: plan a deployment request into a typed stack spec, and deploy, preview, refresh,
 * destroy and inspect the per-project Pulumi stacks it runs on.
 */
export { plan, type PlanOptions, type PlanResult, type PlannedResult, type RedeployIntent, type RedeployResult } from "./planner/index";
export * from "./planner/spec";
export * from "./outcome";
export { planAndDeploy, type DeployOptions, type DeployResult, type DeploySuccess, type PreviewOnlyResult } from "./automation/index";
export { rollback, type RollbackOptions, type RollbackSuccess } from "./automation/index";
export { verifyAudit, queryAudit, type AuditVerification, type AuditQuery } from "./automation/index";
export type { AuditEntry, AuditRecord, AuditAction } from "./automation/index";
export { promote, type PromoteOptions, type PromoteSuccess, type PromoteDryRun, type PromoteCommitted, type PromotedVersion } from "./automation/index";
export { sync, type SyncOptions, type SyncOutcome } from "./automation/index";
export { listStacks, type ListStacksOptions, type StackSummary } from "./automation/index";
export { stackStatus, type StackStatus } from "./automation/index";
export type { OperationFacts, LastUpdate } from "./automation/index";
export type { OperationOutcome } from "./automation/index";
export { collectExpiredPreviews, type GcOptions, type GcResult } from "./automation/index";
export { previewStack, upStack, destroyStack, refreshStack, type DestroyOptions } from "./automation/index";
export { stackOutputs, currentStackSpec } from "./automation/index";
export { stackHistory, type HistoryEntry } from "./automation/index";
export type {
  OperationOptions,
  PreviewResult,
  UpResult,
  DestroyResult,
  RefreshResult,
  StackOutputs,
  ChangeSummary,
  PlannedStep,
} from "./automation/index";
export { unlockStack, lockHolders, type LockHolder, type UnlockResult } from "./automation/index";
export { openWorkspace, PROJECT_NAME, type PlannerWorkspace, type WorkspaceOptions } from "./automation/index";
export { LEASE_TTL_ENV, type StateBackend, type StateReader } from "./automation/index";
export { ensurePulumi, PULUMI_VERSION, FALLBACK_LANGUAGE_HOST_VERSION, type PulumiToolchain, type LanguageHost } from "./toolchain/pulumi";
export {
  AutomationError,
  cancellationCause,
  classifyEngineError,
  EngineError,
  engineErrorLines,
  HEALTH_CHECK_MARKER,
  HealthCheckError,
  InterruptedError,
  MissingPluginError,
  OperationCancelledError,
  ProtectedStackError,
  StackLockedError,
  StackMissingError,
  type CancellationDetail,
} from "./automation/index";
export { OptionalPackagesMissingError, SERVICE_PACKAGES, type ServicePackage } from "./automation/index";
export { programFor } from "./stacks/program";
export { resolveSecrets, SecretMasker } from "./secrets/index";
