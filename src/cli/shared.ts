import { failure, type FailureResult } from "../outcome";
import type { WorkspaceOptions } from "../automation/index";
import type { CliContext, CommandArgs, CommandOutput, FlagSpec } from "./command";
import { EXIT_CODES } from "./exit-codes";
import { automation, planner } from "./load";

/** Flags of every command that works on a workspace. */
export const WORKSPACE_FLAGS = {
  workspace: { type: "string", description: "Directory holding Pulumi.yaml and stacks/ (default: the current directory)." },
  backend: {
    type: "string",
    description: "Pulumi state backend URL (default: PULUMI_BACKEND_URL, else the state of the service that ran in the workspace, else file://<workspace>/.pulumi-state).",
  },
  "artifact-store": {
    type: "string",
    description: "Directory of packaged bundles (default: DEPLOYMENT_PLANNER_ARTIFACT_STORE, else <workspace>/.deployment-planner/bundles).",
  },
} as const satisfies Record<string, FlagSpec>;

/** Flags of every command that runs an engine operation on a stack. */
export const LOCK_WAIT_FLAGS = {
  "lock-wait": { type: "string", description: "Seconds to wait for another operation on the same stack (default 300)." },
} as const satisfies Record<string, FlagSpec>;

/** Longest lock wait the command line accepts: one day. */
const MAX_LOCK_WAIT_SECONDS = 86_400;

/** `--lock-wait <seconds>` in milliseconds, undefined when absent, or a validation failure. */
export function lockWaitFromArgs(args: CommandArgs): number | undefined | FailureResult {
  const raw = args.flags["lock-wait"];
  if (typeof raw !== "string") return undefined;
  const seconds = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_LOCK_WAIT_SECONDS) {
    return failure("validation", `--lock-wait: expected seconds from 0 to ${MAX_LOCK_WAIT_SECONDS} but got '${raw.slice(0, 40)}'`, "Pass --lock-wait 120, for example.");
  }
  return Math.round(seconds * 1000);
}

/** Workspace options from the command line. */
export function workspaceOptions(args: CommandArgs, context: CliContext): WorkspaceOptions {
  const workspace = typeof args.flags.workspace === "string" ? args.flags.workspace : undefined;
  const backend = typeof args.flags.backend === "string" ? args.flags.backend : undefined;
  return {
    workspaceDir: workspace ? (workspace.startsWith("/") ? workspace : `${context.cwd}/${workspace}`) : context.cwd,
    backendUrl: backend,
    artifactStore: typeof args.flags["artifact-store"] === "string" ? args.flags["artifact-store"] : undefined,
    env: context.env,
    onProgress: (line) => context.stderr.write(`${line}\n`),
  };
}

/** Validates `<project_id> <env>` arguments into a stack name, or a validation failure naming the bad value. */
export async function stackFromArgs(args: CommandArgs, usage: string): Promise<{ stack: string } | FailureResult> {
  const { identifierSchema, stackNameFor } = await planner();
  const [projectId, environment] = args.positionals;
  if (projectId === undefined || environment === undefined || args.positionals.length > 2) {
    return failure("validation", `expected <project_id> <env>, got ${args.positionals.length} argument(s)`, `Usage: deployment-planner ${usage}`);
  }
  for (const [field, value] of [
    ["project_id", projectId],
    ["env", environment],
  ] as const) {
    const checked = identifierSchema.safeParse(value);
    if (!checked.success) {
      return failure(
        "validation",
        `${field}: ${checked.error.issues[0]?.message ?? "invalid"} but got '${value.slice(0, 80)}'`,
        `Use the ${field} the stack was deployed with, e.g. 'pf-789 production'.`,
      );
    }
  }
  return { stack: stackNameFor(projectId, environment) };
}

/** Renders a failure result for the CLI (exit code 2, or 1 for an internal error). */
export function failureOutput(result: FailureResult): CommandOutput {
  const lines = [`error (${result.stage}): ${result.reason}`];
  for (const problem of result.problems?.slice(1) ?? []) lines.push(`  also: ${problem}`);
  lines.push(`fix: ${result.fix_suggestion}`);
  if (result.log_file) lines.push(`log: ${result.log_file}`);
  return { exitCode: result.stage === "internal" ? EXIT_CODES.internal : EXIT_CODES.failure, json: result, text: lines.join("\n") };
}

/** Turns an error thrown by an operation into CLI output: typed errors become failure objects, others are bugs. */
export async function errorOutput(error: unknown): Promise<CommandOutput> {
  const { AutomationError } = await automation();
  if (error instanceof AutomationError) return failureOutput(error.toFailure());
  return failureOutput(
    failure("internal", `unexpected error: ${(error as Error)?.message?.split("\n")[0] ?? String(error)}`, "This is a bug in deployment-planner; please report it."),
  );
}

/** Past tense of each kind of change, for work already done. */
const DONE: Readonly<Record<string, string>> = { create: "created", update: "updated", delete: "deleted", replace: "replaced", read: "read", import: "imported", discard: "discarded" };

/** Formats the changes an operation made (`{delete: 4}`) for a person: `4 resources deleted`, or `nothing changed`. */
export function formatDoneChanges(summary: Readonly<Record<string, number>>): string {
  const entries = Object.entries(summary).filter(([op, n]) => op !== "same" && n > 0);
  if (entries.length === 0) return "nothing changed";
  return entries.map(([op, n], i) => `${n}${i === 0 ? (n === 1 ? " resource" : " resources") : ""} ${DONE[op] ?? op}`).join(", ");
}

/** Formats a change summary (`{create: 2, same: 1}`) for a person. */
export function formatChanges(summary: Readonly<Record<string, number>>): string {
  const entries = Object.entries(summary).filter(([op]) => op !== "same");
  return entries.length === 0 ? "no changes" : entries.map(([op, n]) => `${n} to ${op}`).join(", ");
}
