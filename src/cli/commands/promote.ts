import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { automation } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, failureOutput, formatChanges, lockWaitFromArgs, workspaceOptions } from "../shared";
import { renderDeployResult } from "./deploy";

/** `promote <project_id> --from <env> --to <env> [--dry-run]`: the source's current version onto the target. */
export const promoteCommand: CliCommand = {
  name: "promote",
  summary: "Give one environment another's current healthy version (artifact, build, services), keeping its own settings.",
  usage: "promote <project_id> --from <env> --to <env> [--dry-run] [--git] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    ...LOCK_WAIT_FLAGS,
    from: { type: "string", description: "The environment whose current version is promoted, e.g. staging." },
    to: { type: "string", description: "The environment that receives it, e.g. production." },
    "dry-run": { type: "boolean", description: "Print the stack-file diff and the engine's preview; change nothing." },
    git: { type: "boolean", description: "Commit the new stack file on a new branch (for a pull request) instead of deploying; never pushes." },
  },
  async run(args, context) {
    const [projectId, ...extra] = args.positionals;
    const from = typeof args.flags.from === "string" ? args.flags.from : undefined;
    const to = typeof args.flags.to === "string" ? args.flags.to : undefined;
    if (projectId === undefined || extra.length > 0 || from === undefined || to === undefined) {
      return failureOutput(failure("validation", "expected <project_id> --from <env> --to <env>", `Usage: deployment-planner ${this.usage}`));
    }
    const lockWaitMs = lockWaitFromArgs(args);
    if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
    const { promote, osUserName } = await automation();
    const result = await promote(projectId, {
      ...workspaceOptions(args, context),
      from,
      to,
      dryRun: args.flags["dry-run"] === true,
      git: args.flags.git === true,
      lockWaitMs,
      actor: osUserName(),
      signal: context.signal,
      onProgress: (line) => context.stderr.write(`${line}\n`),
    });
    if (isFailure(result) || result.status === "success") return renderDeployResult(result);
    if (result.status === "committed") {
      return { exitCode: 0, json: result, text: `committed ${result.commit.slice(0, 12)} on branch ${result.branch} (not pushed):\n${result.message}` };
    }
    return {
      exitCode: 0,
      json: result,
      text: [
        `promoting ${result.promoted_from.stack} update ${result.promoted_from.version} to ${result.stack} would change: ${formatChanges(result.changes)}`,
        result.stack_file_diff || "(the stack file would not change)",
      ].join("\n"),
    };
  },
};
