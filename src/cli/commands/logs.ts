import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { automation } from "../load";
import { errorOutput, failureOutput, stackFromArgs, WORKSPACE_FLAGS, workspaceOptions } from "../shared";

/**
 * Most lines `--lines` takes, as its help states it: the automation layer's `MAX_LOG_LINES`, written out so that the
 * command table loads no automation (a test keeps the two equal).
 */
export const LOG_LINES_LIMIT = 10_000;

/** `logs <project_id> <env>`: the app's own output on the local target (masked), optionally followed. */
export const logsCommand: CliCommand = {
  name: "logs",
  summary: "Show the app's own output on the local target (secrets masked); --follow keeps printing, across deploys and rollbacks.",
  usage: "logs <project_id> <env> [--lines <n>] [--follow] [--json] [--workspace <dir>]",
  flags: {
    ...WORKSPACE_FLAGS,
    lines: { type: "string", description: `How many of the last lines to show (default 100, at most ${LOG_LINES_LIMIT}).` },
    follow: { type: "boolean", description: "Keep printing new lines until interrupted (Ctrl-C)." },
  },
  async run(args, context) {
    const { appLogTail, followAppLog, MAX_LOG_LINES, openWorkspace } = await automation();
    const target = await stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    const lines = Number(typeof args.flags.lines === "string" ? args.flags.lines : "100");
    if (!Number.isInteger(lines) || lines < 0 || lines > MAX_LOG_LINES) {
      return failureOutput(failure("validation", `--lines: a whole number from 0 to ${MAX_LOG_LINES}`, "Ask for fewer lines."));
    }
    try {
      const workspace = await openWorkspace(workspaceOptions(args, context));
      const tail = await appLogTail(workspace, target.stack, lines);
      if (!tail) {
        return failureOutput(
          failure("validation", `no app log for ${target.stack}: it runs no release on this machine's local target`, "App logs exist for the local target; other targets keep them in their own consoles."),
        );
      }
      if (args.flags.follow !== true || !context.stdout) {
        return { exitCode: 0, json: { stack: target.stack, release: tail.source.release, lines: tail.lines }, text: tail.lines.join("\n") };
      }
      const out = context.stdout;
      const json = args.flags.json === true;
      // Followed: each line as it comes (one JSON object per line with --json), until interrupted.
      const print = (batch: string[], release: string) => {
        for (const line of batch) out.write(json ? `${JSON.stringify({ release, line })}\n` : `${line}\n`);
      };
      print(tail.lines, tail.source.release);
      await followAppLog(workspace, target.stack, tail, print, context.signal);
      return { exitCode: 0, json: { stack: target.stack, status: "stopped" }, text: "" };
    } catch (error) {
      return errorOutput(error);
    }
  },
};
