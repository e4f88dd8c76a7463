import type { PlannerWorkspace } from "../../automation/index";
import { failure, isFailure } from "../../outcome";
import type { CliCommand, CliContext, CommandArgs, CommandOutput } from "../command";
import { automation } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, errorOutput, failureOutput, formatDoneChanges, lockWaitFromArgs, stackFromArgs, workspaceOptions } from "../shared";

/** Validates `<project_id> <env>`, opens the workspace and runs `body`; typed errors become failure results. */
async function onStack(
  args: CommandArgs,
  context: CliContext,
  usage: string,
  body: (stack: string, workspace: PlannerWorkspace) => Promise<CommandOutput>,
): Promise<CommandOutput> {
  const target = await stackFromArgs(args, usage);
  if (isFailure(target)) return failureOutput(target);
  try {
    const { openWorkspace } = await automation();
    return await body(target.stack, await openWorkspace(workspaceOptions(args, context)));
  } catch (error) {
    return errorOutput(error);
  }
}

/** `destroy <project_id> <env>`: deletes every resource of a stack. */
export const destroyCommand: CliCommand = {
  name: "destroy",
  summary: "Delete every resource of a stack (history is kept unless --remove).",
  usage: "destroy <project_id> <env> [--remove] [--force] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    ...LOCK_WAIT_FLAGS,
    remove: { type: "boolean", description: "Also remove the stack, its history and its config file." },
    force: { type: "boolean", description: "Destroy a protected (production) stack." },
  },
  async run(args, context) {
    const lockWaitMs = lockWaitFromArgs(args);
    if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
    return onStack(args, context, this.usage, async (stack, workspace) => {
      const { destroyStack, osUserName } = await automation();
      const result = await destroyStack(stack, {
        workspace,
        lockWaitMs,
        removeStack: args.flags.remove === true,
        force: args.flags.force === true,
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
        actor: osUserName(),
      });
      return {
        exitCode: 0,
        json: { status: "destroyed", stack, changes: result.changeSummary, stack_removed: result.stackRemoved, log_file: result.logFile },
        text: `destroyed ${stack}: ${formatDoneChanges(result.changeSummary)}${result.stackRemoved ? "; the stack and its history were removed" : ""}`,
      };
    });
  },
};

/** `refresh <project_id> <env>`: reconciles the stack's state with what really runs. */
export const refreshCommand: CliCommand = {
  name: "refresh",
  summary: "Reconcile a stack's state with what really runs (notices stopped releases).",
  usage: "refresh <project_id> <env> [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS, ...LOCK_WAIT_FLAGS },
  async run(args, context) {
    const lockWaitMs = lockWaitFromArgs(args);
    if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
    return onStack(args, context, this.usage, async (stack, workspace) => {
      const { refreshStack, osUserName } = await automation();
      const result = await refreshStack(stack, {
        workspace,
        lockWaitMs,
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
        actor: osUserName(),
      });
      return {
        exitCode: 0,
        json: { status: "refreshed", stack, changes: result.changeSummary, log_file: result.logFile },
        text: `refreshed ${stack}: ${formatDoneChanges(result.changeSummary)}`,
      };
    });
  },
};

/** `history <project_id> <env>`: who deployed what, when, with what result. */
export const historyCommand: CliCommand = {
  name: "history",
  summary: "List a stack's history: each update's number, operation (rollback from 2 to 1, promote, destroy), outcome, time, version, who ran it, deployer, bundle digest.",
  usage: "history <project_id> <env> [--limit <n>] [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS, limit: { type: "string", description: "Show at most this many updates (newest first)." } },
  async run(args, context) {
    const limit = typeof args.flags.limit === "string" ? Number(args.flags.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      return failureOutput(
        failure("validation", `--limit: expected a positive integer but got '${args.flags.limit}'`, "Pass --limit 10, for example."),
      );
    }
    return onStack(args, context, this.usage, async (stack, workspace) => {
      const { stackHistory } = await automation();
      const entries = await stackHistory(stack, { workspace, limit });
      const json = entries.map(({ spec: _spec, ...entry }) => entry);
      const rows = entries.map(
        (e) =>
          `${String(e.update).padStart(6)}  ${e.description.padEnd(30)} ${e.outcome.padEnd(11)} ${e.startTime.padEnd(24)}  ${(e.versionName ?? "-").padEnd(10)} ${(e.ranBy ?? "-").padEnd(22)} ${(e.deployer ?? "-").padEnd(12)} ${e.artifactDigest ? e.artifactDigest.slice(0, 19) : "-"}`,
      );
      return {
        exitCode: 0,
        json: { stack, updates: json },
        text: [
          `history of ${stack} (newest first)`,
          "update  operation                      outcome     started                   version    by                     deployer     bundle",
          ...rows,
        ].join("\n"),
      };
    });
  },
};

/** `outputs <project_id> <env>`: the stack's URLs and other outputs. */
export const outputsCommand: CliCommand = {
  name: "outputs",
  summary: "Show a stack's outputs (URL, dashboard URL, target, bundle digest).",
  usage: "outputs <project_id> <env> [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS },
  async run(args, context) {
    return onStack(args, context, this.usage, async (stack, workspace) => {
      const { stackOutputs } = await automation();
      const outputs = await stackOutputs(stack, { workspace });
      return {
        exitCode: 0,
        json: { stack, outputs },
        text: Object.entries(outputs)
          .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join("\n"),
      };
    });
  },
};

/** `unlock <project_id> <env>`: breaks a stack's lock whose holder is gone (`--force`: any lock). */
export const unlockCommand: CliCommand = {
  name: "unlock",
  summary: "Break a stack's lock whose holder is gone (a killed deploy); --force breaks any lock.",
  usage: "unlock <project_id> <env> [--force] [--json] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    force: { type: "boolean", description: "Also break a lock whose holder cannot be checked from here (another host) or still runs." },
  },
  async run(args, context) {
    return onStack(args, context, this.usage, async (stack, workspace) => {
      const { unlockStack, describeHolder, osUserName } = await automation();
      const result = await unlockStack(workspace, stack, { force: args.flags.force === true, actor: osUserName() });
      const held = result.held.map(describeHolder);
      return {
        exitCode: 0,
        json: {
          status: "unlocked",
          stack,
          broken: result.broken.map((b) => ({ holder: describeHolder(b.holder), reason: b.reason })),
          deployment_lock_broken: result.mutexBroken,
          held,
        },
        text: [
          result.broken.length === 0 && !result.mutexBroken
            ? `no stale lock on ${stack}`
            : `broke ${result.broken.length + (result.mutexBroken ? 1 : 0)} lock(s) of ${stack}`,
          ...result.broken.map((b) => `  ${describeHolder(b.holder)}: ${b.reason}`),
          ...held.map((h) => `  still held by ${h} (pass --force if that holder is gone)`),
        ].join("\n"),
      };
    });
  },
};
