import { automationSdk } from "./sdk";
import { failure, type FailureResult, type FailureStage } from "../../outcome";
import { HEALTH_CHECK_MARKER } from "../../components/local/supervisor-client";

/** Marker the local target puts at the start of a failed health check's message (part of the library's API). */
export { HEALTH_CHECK_MARKER };

/** Base of the automation layer's typed errors; each has a literal `code`, a stage and a fix suggestion. */
export abstract class AutomationError extends Error {
  abstract readonly code: string;
  abstract readonly stage: FailureStage;
  abstract readonly fixSuggestion: string;
  /** Log file holding the engine's full output, secrets masked. */
  logFile?: string;

  /** This error as a failure result: its stage, message and fix suggestion, and the engine log's file. */
  toFailure(): FailureResult {
    return failure(this.stage, this.message, this.fixSuggestion, { log_file: this.logFile });
  }
}

/** Another update holds the stack's lock, and still held it when the lock wait ran out. */
export class StackLockedError extends AutomationError {
  override readonly name = "StackLockedError";
  readonly code = "STACK_LOCKED" as const;
  readonly stage = "deploy" as const;
  /**
   * @param holders who holds the lock, as the backend recorded it (`host, pid, since`); empty when the backend's
   *   locks cannot be read from here
   */
  constructor(
    readonly stackName: string,
    readonly holders: readonly string[] = [],
  ) {
    super(`stack '${stackName}' is locked by another update${holders.length > 0 ? ` (held by ${holders.join("; ")})` : ""}`);
  }
  get fixSuggestion(): string {
    const dot = this.stackName.indexOf(".");
    const unlock = `deployment-planner unlock ${this.stackName.slice(0, dot)} ${this.stackName.slice(dot + 1)}`;
    return `Wait for the running update of '${this.stackName}' to finish and retry. A lock whose holder is gone (a dead process on this host, or a host that stopped renewing its lease) is broken automatically; if a holder on another host that took no lease is gone, run '${unlock} --force'.`;
  }
}

/** A protected (production) stack was asked to be destroyed without `force`. */
export class ProtectedStackError extends AutomationError {
  override readonly name = "ProtectedStackError";
  readonly code = "STACK_PROTECTED" as const;
  readonly stage = "validation" as const;
  constructor(
    readonly stackName: string,
    readonly tier: string,
  ) {
    super(`stack '${stackName}' is protected (${tier}) and was not destroyed`);
  }
  get fixSuggestion(): string {
    return "Pass --force (the library's `force: true`) to destroy a protected stack.";
  }
}

/** The stack does not exist in the backend. */
export class StackMissingError extends AutomationError {
  override readonly name = "StackMissingError";
  readonly code = "STACK_NOT_FOUND" as const;
  readonly stage = "validation" as const;
  constructor(readonly stackName: string) {
    super(`stack '${stackName}' does not exist in this workspace's backend`);
  }
  get fixSuggestion(): string {
    return "Check the project id and environment, the --workspace and --backend; 'deployment-planner deploy' creates the stack.";
  }
}

/** A resource provider plugin is not installed and may not be downloaded. */
export class MissingPluginError extends AutomationError {
  override readonly name = "MissingPluginError";
  readonly code = "MISSING_PLUGIN" as const;
  readonly stage = "env_setup" as const;
  /**
   * @param plugin name and version, e.g. `vercel v5.4.1`
   * @param server where the plugin is published when not on Pulumi's own server, e.g. `github://api.github.com/pulumiverse`
   */
  constructor(
    readonly plugin: string,
    readonly server?: string,
  ) {
    super(`the Pulumi resource plugin '${plugin}' is not installed`);
  }
  get fixSuggestion(): string {
    const install = `pulumi plugin install resource ${this.plugin}${this.server ? ` --server ${this.server}` : ""}`;
    return `Install it on a machine that reaches Pulumi's plugin downloads ('${install}'), or copy it into PULUMI_HOME/plugins.`;
  }
}

/** The deployed app did not pass its health check. */
export class HealthCheckError extends AutomationError {
  override readonly name = "HealthCheckError";
  readonly code = "HEALTH_CHECK_FAILED" as const;
  readonly stage = "verify" as const;
  constructor(
    message: string,
    readonly url?: string,
  ) {
    super(message);
  }
  get fixSuggestion(): string {
    return "Check that the app starts with its start command, listens on the PORT it is given and answers its health check path; its last log lines are in the reason and the log file.";
  }
}

/**
 * The reason a caller aborts an operation with when its process was signalled (Ctrl-C, SIGTERM), so that what the
 * operation reports says who stopped it.
 */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
  readonly code = "INTERRUPTED" as const;
  constructor(readonly signal: NodeJS.Signals) {
    super(signal === "SIGINT" ? "by the user (Ctrl-C)" : `by ${signal} (the process was asked to stop)`);
  }
}

/** Who or what cancelled an operation, in a person's words, from the reason its AbortSignal was aborted with. */
export function cancellationCause(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof InterruptedError) return reason.message;
  // An abort without a reason carries the platform's generic AbortError, which says nothing about who asked.
  if (reason instanceof Error && reason.name !== "AbortError" && reason.message) return `(${reason.message.split("\n")[0]!.slice(0, 200)})`;
  return "by its caller";
}

/** What was running when an operation was cancelled. */
export interface CancellationDetail {
  /** The engine operation: `up`, `preview`, `refresh` or `destroy`. */
  readonly operation?: string;
  /** Who cancelled it, as `cancellationCause` words it. */
  readonly cause?: string;
  /** Where it was, e.g. "while the engine was running". */
  readonly during?: string;
}

const OPERATION_NOUNS: Readonly<Record<string, string>> = { up: "update", preview: "preview", refresh: "refresh", destroy: "destroy" };

/** The operation was cancelled through its AbortSignal. */
export class OperationCancelledError extends AutomationError {
  override readonly name = "OperationCancelledError";
  readonly code = "CANCELLED" as const;
  readonly stage = "deploy" as const;
  constructor(
    readonly stackName: string,
    readonly detail: CancellationDetail = {},
  ) {
    const noun = detail.operation ? (OPERATION_NOUNS[detail.operation] ?? detail.operation) : null;
    super(
      `the ${noun ? `${noun} of` : "operation on"} stack '${stackName}' was cancelled${detail.cause ? ` ${detail.cause}` : ""}${detail.during ? ` ${detail.during}` : ""}`,
    );
  }
  get fixSuggestion(): string {
    return `Deploy again when ready: what the cancelled update left is cleaned up, and the next operation reconciles the rest.`;
  }
}

/** The engine or a provider failed. */
export class EngineError extends AutomationError {
  override readonly name = "EngineError";
  readonly code = "ENGINE_FAILED" as const;
  readonly stage = "deploy" as const;
  constructor(
    message: string,
    readonly stackName: string,
  ) {
    super(message);
  }
  get fixSuggestion(): string {
    return "Read the error and the engine log; fix the cause (credentials, quotas, inputs) and deploy again. Nothing is lost: the stack's history keeps the previous version.";
  }
}

/** Picks the engine's own error lines out of its output: the `error:` diagnostics, without the update's chatter. */
export function engineErrorLines(output: string): string[] {
  const lines = output.split("\n").map((l) => l.trim());
  const errors = lines.filter((l) => /^error:/.test(l) || l.startsWith(HEALTH_CHECK_MARKER));
  const unique = [...new Set(errors.map((l) => l.replace(/^error:\s*/, "")))];
  return unique.filter((l) => !/^update failed$/.test(l) && !/^preview failed$/.test(l));
}

/** Maps an error thrown by the Automation API to a typed automation error. */
export function classifyEngineError(error: unknown, stack: string, aborted: boolean): AutomationError {
  if (error instanceof AutomationError) return error;
  if (aborted) return new OperationCancelledError(stack);
  const { CommandError, ConcurrentUpdateError, StackNotFoundError } = automationSdk();
  if (error instanceof ConcurrentUpdateError) return new StackLockedError(stack);
  if (error instanceof StackNotFoundError) return new StackMissingError(stack);
  const text = error instanceof CommandError || error instanceof Error ? error.message : String(error);
  // The engine reports a missing plugin only in text: "no resource plugin 'pulumi-resource-vercel' found in the
  // workspace at version v5.4.1 or on your $PATH from github://api.github.com/pulumiverse".
  const plugin = /resource plugin '(?:pulumi-resource-)?([\w.-]+)'(?: found in the workspace)?(?: at version (v?[\w.-]+))?/i.exec(text);
  if (plugin) {
    const server = /resource plugin '[^']+'[^\n]*? from ((?:github|gitlab|https?):\/\/[^\s'"\\]+)/i.exec(text)?.[1];
    return new MissingPluginError(plugin[2] ? `${plugin[1]} ${plugin[2]}` : (plugin[1] ?? "unknown"), server);
  }
  const health = text.indexOf(HEALTH_CHECK_MARKER);
  if (health >= 0) {
    const line = text.slice(health).split(/\n|\\n/)[0] ?? "";
    return new HealthCheckError(line.trim());
  }
  const lines = engineErrorLines(text.replace(/\\n/g, "\n"));
  const reason = lines.length > 0 ? lines.slice(0, 3).join("; ") : `the engine failed on stack '${stack}'`;
  return new EngineError(reason.slice(0, 2000), stack);
}
