import { readFile, stat } from "node:fs/promises";
import {
  deployPinned,
  planAndDeploy,
  type PinnedDeployment,
  AutomationError,
  destroyStack,
  promote,
  rollback,
  type PlannerWorkspace,
} from "../automation/index";
import { failure } from "../outcome";
import { isRedeployShape } from "../planner/request";
import { stackNameFor } from "../planner/spec";

/** What a queued job runs: a deployment request, or a rollback, promotion or destroy of a stack. */
export type QueuedOperation = "deploy" | "rollback" | "promote" | "destroy";

/** The arguments of a queued stack operation, as its record keeps them (the `request` column). */
export type StackOperationArgs =
  | { readonly operation: "rollback"; readonly project_id: string; readonly environment: string; readonly to?: number | string }
  | { readonly operation: "promote"; readonly project_id: string; readonly from: string; readonly to: string }
  | {
      readonly operation: "destroy";
      readonly project_id: string;
      readonly environment: string;
      readonly force?: boolean;
      readonly remove?: boolean;
      /** A stack that does not exist (a preview never deployed, or already collected) counts as destroyed. */
      readonly missing_ok?: boolean;
    };

/** The stack a queued operation changes (its key in the queue: one operation per stack at a time). */
export function operationStack(args: StackOperationArgs): string {
  return stackNameFor(args.project_id, args.operation === "promote" ? args.to : args.environment);
}

/** How a worker runs one queued operation. */
export interface RunOptions {
  readonly workspace: PlannerWorkspace;
  readonly baseDir: string;
  /** Makes a repeated run of the same deployment return the first run's result instead of running again. */
  readonly idempotencyKey: string;
  readonly onProgress: (line: string) => void;
  /** Who asked (the token's id, a webhook), for the stack history and the audit trail. */
  readonly actor: string;
  /**
   * A deployment as planned and packaged when it was accepted: deployed as it is, never planned again nor read from
   * its source. Without it, a deployment request is only run when it is a redeploy (its spec is the stack's own).
   */
  readonly pinned?: PinnedDeployment;
}

/** The principal a queued operation runs as: `token:<id>` for an API token, the hook's own name (`hook:github`) for a webhook. */
export function servicePrincipal(tokenId: string): string {
  return tokenId.includes(":") ? tokenId : `token:${tokenId}`;
}

/** Largest engine log kept with a deployment record (its tail is kept). */
const ENGINE_LOG_MAX_BYTES = 1024 * 1024;

/**
 * Runs one queued operation through the library and answers its success or failure result, never throwing for
 * the operation's own failure: a refused destroy of a protected stack, an unknown version or a failed update are
 * results. Only what the library could not turn into a result (a bug) comes back as an `internal` failure.
 */
export async function runQueuedOperation(operation: QueuedOperation, request: unknown, options: RunOptions): Promise<Record<string, unknown>> {
  try {
    const actor = servicePrincipal(options.actor);
    if (operation === "deploy") {
      const deployOptions = { workspace: options.workspace, baseDir: options.baseDir, idempotencyKey: options.idempotencyKey, onProgress: options.onProgress, actor };
      if (options.pinned) return resultRecord(await deployPinned(options.pinned, deployOptions));
      // A request whose source was never packaged when it was accepted is not read from its directory now.
      if (!isRedeployShape(request)) return resultRecord(failure("package", "this deployment was accepted without its plan and bundle", "Submit the deployment again."));
      return resultRecord(await planAndDeploy(request, deployOptions));
    }
    const args = request as StackOperationArgs;
    const common = { workspace: options.workspace, onProgress: options.onProgress, actor };
    if (args.operation === "rollback") return resultRecord(await rollback(args.project_id, args.environment, { ...common, to: args.to }));
    if (args.operation === "promote") return resultRecord(await promote(args.project_id, { ...common, from: args.from, to: args.to }));
    const stack = operationStack(args);
    const destroyed = await destroyStack(stack, { ...common, force: args.force === true, removeStack: args.remove === true });
    return { status: "success", stack, destroyed: true, changes: destroyed.changeSummary, stack_removed: destroyed.stackRemoved, log_file: destroyed.logFile, warnings: destroyed.repairs };
  } catch (error) {
    const args = request as Partial<StackOperationArgs> | null;
    if (error instanceof AutomationError && error.code === "STACK_NOT_FOUND" && operation === "destroy" && args?.operation === "destroy" && args.missing_ok === true) {
      return { status: "success", stack: operationStack(args as StackOperationArgs), destroyed: true, stack_absent: true, warnings: ["the stack did not exist: nothing to destroy"] };
    }
    if (error instanceof AutomationError) return resultRecord(error.toFailure());
    return resultRecord(failure("internal", "the operation failed unexpectedly", "Try again; if it persists, report it to the operator."));
  }
}

/** A library result as the plain JSON object a deployment record stores (its own fields, copied; nothing cast). */
function resultRecord(result: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result));
}

/** The tail of an operation's engine log (already masked by the engine run), or null when it left none. */
export async function engineLogOf(result: Record<string, unknown>): Promise<string | null> {
  const file = typeof result.log_file === "string" ? result.log_file : null;
  if (!file) return null;
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < 0) return null;
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  return size > ENGINE_LOG_MAX_BYTES ? `[earlier lines omitted]\n${text.slice(-ENGINE_LOG_MAX_BYTES)}` : text;
}
