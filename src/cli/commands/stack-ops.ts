import { destroyStack, refreshStack, stackHistory, stackOutputs, currentStackSpec } from "../../automation/operations";
import { openWorkspace } from "../../automation/workspace";
import { appendAudit } from "../../automation/audit";
import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { WORKSPACE_FLAGS, errorOutput, failureOutput, formatChanges, stackFromArgs, workspaceOptions } from "../shared";

/** `destroy <project_id> <env>`: deletes every resource of a stack. */
export const destroyCommand: CliCommand = {
  name: "destroy",
  summary: "Delete every resource of a stack (history is kept unless --remove).",
  usage: "destroy <project_id> <env> [--remove] [--force] [--json] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    remove: { type: "boolean", description: "Also remove the stack, its history and its config file." },
    force: { type: "boolean", description: "Destroy a protected (production) stack." },
  },
  async run(args, context) {
    const target = stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    try {
      const workspace = await openWorkspace(workspaceOptions(args, context));
      const spec = await currentStackSpec(workspace, target.stack);
      if (spec?.protect && args.flags.force !== true) {
        return failureOutput(
          failure("validation", `stack '${target.stack}' is protected (${spec.tier}) and was not destroyed`, "Pass --force to destroy a protected stack."),
        );
      }
      const result = await destroyStack(target.stack, {
        workspace,
        removeStack: args.flags.remove === true,
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
        message: `destroy ${target.stack}`,
      });
      await appendAudit(workspace.dataDir, { action: "destroy", stack: target.stack, status: "success", actor: context.env.USER ?? null });
      return {
        exitCode: 0,
        json: { status: "destroyed", stack: target.stack, changes: result.changeSummary, stack_removed: result.stackRemoved, log_file: result.logFile },
        text: `destroyed ${target.stack}: ${formatChanges(result.changeSummary)}${result.stackRemoved ? " (stack removed)" : ""}`,
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** `refresh <project_id> <env>`: reconciles the stack's state with what really runs. */
export const refreshCommand: CliCommand = {
  name: "refresh",
  summary: "Reconcile a stack's state with what really runs (notices stopped releases).",
  usage: "refresh <project_id> <env> [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS },
  async run(args, context) {
    const target = stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    try {
      const workspace = await openWorkspace(workspaceOptions(args, context));
      const result = await refreshStack(target.stack, {
        workspace,
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
        message: `refresh ${target.stack}`,
      });
      return {
        exitCode: 0,
        json: { status: "refreshed", stack: target.stack, changes: result.changeSummary, log_file: result.logFile },
        text: `refreshed ${target.stack}: ${formatChanges(result.changeSummary)}`,
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** `history <project_id> <env>`: who deployed what, when, with what result. */
export const historyCommand: CliCommand = {
  name: "history",
  summary: "List a stack's updates: version, result, deployer, release name, bundle digest.",
  usage: "history <project_id> <env> [--limit <n>] [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS, limit: { type: "string", description: "Show at most this many updates (newest first)." } },
  async run(args, context) {
    const target = stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    const limit = typeof args.flags.limit === "string" ? Number(args.flags.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      return failureOutput(failure("validation", `--limit: expected a positive integer but got '${args.flags.limit}'`, "Pass --limit 10, for example."));
    }
    try {
      const workspace = await openWorkspace(workspaceOptions(args, context));
      const entries = await stackHistory(target.stack, { workspace, limit });
      const json = entries.map(({ spec: _spec, ...entry }) => entry);
      const rows = entries.map(
        (e) =>
          `${String(e.version).padStart(4)}  ${e.kind.padEnd(8)} ${e.result.padEnd(10)} ${e.startTime}  ${(e.versionName ?? "-").padEnd(10)} ${(e.deployer ?? "-").padEnd(12)} ${e.artifactDigest ? e.artifactDigest.slice(0, 19) : "-"}`,
      );
      return {
        exitCode: 0,
        json: { stack: target.stack, updates: json },
        text: [`history of ${target.stack} (newest first)`, "   #  kind     result     started                   version    deployer     bundle", ...rows].join("\n"),
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** `outputs <project_id> <env>`: the stack's URLs and other outputs. */
export const outputsCommand: CliCommand = {
  name: "outputs",
  summary: "Show a stack's outputs (URL, dashboard URL, target, bundle digest).",
  usage: "outputs <project_id> <env> [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS },
  async run(args, context) {
    const target = stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    try {
      const workspace = await openWorkspace(workspaceOptions(args, context));
      const outputs = await stackOutputs(target.stack, { workspace });
      return {
        exitCode: 0,
        json: { stack: target.stack, outputs },
        text: Object.entries(outputs)
          .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join("\n"),
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};
