import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { automation } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, errorOutput, failureOutput, lockWaitFromArgs, stackFromArgs, workspaceOptions } from "../shared";

/** `sync [<project_id> <env>] [--dry-run]`: deploys every stack file that differs from what its stack runs. */
export const syncCommand: CliCommand = {
  name: "sync",
  summary: "GitOps: deploy every stack file that differs from what its stack last deployed (staging before production).",
  usage: "sync [<project_id> <env>] [--dry-run] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS, ...LOCK_WAIT_FLAGS, "dry-run": { type: "boolean", description: "Say which stacks would be deployed; change nothing." } },
  async run(args, context) {
    let stack: string | undefined;
    if (args.positionals.length > 0) {
      const target = await stackFromArgs(args, this.usage);
      if (isFailure(target)) return failureOutput(target);
      stack = target.stack;
    }
    const lockWaitMs = lockWaitFromArgs(args);
    if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
    try {
      const { sync, osUserName } = await automation();
      const outcomes = await sync({
        ...workspaceOptions(args, context),
        stack,
        lockWaitMs,
        dryRun: args.flags["dry-run"] === true,
        actor: osUserName(),
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
      });
      const failed = outcomes.filter((o) => o.status === "failed");
      if (stack !== undefined && outcomes.length === 0) {
        return failureOutput(failure("validation", `no stack file for ${stack}`, "Name a stack whose file is in stacks/, or run sync without arguments."));
      }
      return {
        exitCode: failed.length === 0 ? 0 : 2,
        json: { status: failed.length === 0 ? "synced" : "error", stacks: outcomes },
        text: outcomes
          .map((o) => `${o.stack}: ${o.status}${o.status === "deployed" ? ` (update ${o.result.version}, ${o.result.url})` : o.status === "failed" ? ` at ${o.result.stage}: ${o.result.reason}` : ""}`)
          .join("\n"),
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};
