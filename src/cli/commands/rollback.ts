import { isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { automation } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, failureOutput, lockWaitFromArgs, stackFromArgs, workspaceOptions } from "../shared";
import { renderDeployResult } from "./deploy";

/** `rollback <project_id> <env> [--to <n|name>]`: re-applies an earlier successful update. */
export const rollbackCommand: CliCommand = {
  name: "rollback",
  summary: "Roll a stack back to an earlier healthy update (default: the one before the current), as a new update.",
  usage: "rollback <project_id> <env> [--to <update-number|version_name>] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    ...LOCK_WAIT_FLAGS,
    to: { type: "string", description: "The update number or version name to roll back to (see 'history')." },
  },
  async run(args, context) {
    const target = await stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    const lockWaitMs = lockWaitFromArgs(args);
    if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
    const rawTo = typeof args.flags.to === "string" ? args.flags.to : undefined;
    // A plain number names an update; anything else a version name.
    const to = rawTo !== undefined && /^\d+$/.test(rawTo) ? Number(rawTo) : rawTo;
    const [projectId, environment] = args.positionals as [string, string];
    const { rollback, osUserName } = await automation();
    const result = await rollback(projectId, environment, {
      ...workspaceOptions(args, context),
      to,
      lockWaitMs,
      actor: osUserName(),
      signal: context.signal,
      onProgress: (line) => context.stderr.write(`${line}\n`),
    });
    const output = renderDeployResult(result);
    if (isFailure(result) || result.status !== "success") return output;
    return { ...output, text: `rolled back ${result.stack} from update ${result.rolled_back_from} to ${result.rolled_back_to}\n${output.text}` };
  },
};
