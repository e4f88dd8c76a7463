import { failure } from "../../outcome";
import type { CliCommand } from "../command";
import { automation, planner } from "../load";
import { WORKSPACE_FLAGS, failureOutput, workspaceOptions } from "../shared";

/** `audit [verify]`: exports the audit trail, or checks its hash chain. */
export const auditCommand: CliCommand = {
  name: "audit",
  summary: "Export the audit trail (--project, --since), or 'audit verify' its hash chain (exit 0 when intact).",
  usage: "audit [verify] [--project <id>] [--since <time>] [--json] [--workspace <dir>]",
  flags: {
    workspace: WORKSPACE_FLAGS.workspace,
    project: { type: "string", description: "Only the entries of this project's stacks." },
    since: { type: "string", description: "Only entries at or after this time (ISO 8601, e.g. 2026-11-01 or 2026-11-01T12:00:00Z)." },
  },
  async run(args, context) {
    const { queryAudit, verifyAudit, workspaceDataDir } = await automation();
    const { identifierSchema } = await planner();
    const dataDir = workspaceDataDir(workspaceOptions(args, context).workspaceDir ?? context.cwd);
    const [sub, ...rest] = args.positionals;
    if ((sub !== undefined && sub !== "verify") || rest.length > 0) {
      return failureOutput(failure("validation", `unknown audit subcommand '${String(sub).slice(0, 40)}'`, `Usage: deployment-planner ${this.usage}`));
    }
    if (sub === "verify") {
      const result = await verifyAudit(dataDir);
      return {
        exitCode: result.intact ? 0 : 2,
        json: { status: result.intact ? "intact" : "tampered", entries: result.entries, ...(result.firstBad ? { first_bad_entry: result.firstBad } : {}) },
        text: result.intact
          ? `audit trail intact: ${result.entries} entries`
          : `audit trail broken at entry ${result.firstBad!.line}: ${result.firstBad!.reason}`,
      };
    }
    const project = typeof args.flags.project === "string" ? args.flags.project : undefined;
    if (project !== undefined && !identifierSchema.safeParse(project).success) {
      return failureOutput(failure("validation", `--project: not a project id: '${project.slice(0, 80)}'`, "Pass the project_id the stacks were deployed with."));
    }
    const sinceText = typeof args.flags.since === "string" ? args.flags.since : undefined;
    const since = sinceText === undefined ? undefined : new Date(sinceText);
    if (since !== undefined && Number.isNaN(since.getTime())) {
      return failureOutput(failure("validation", `--since: not a time: '${sinceText!.slice(0, 40)}'`, "Pass an ISO 8601 time, e.g. 2026-11-01T12:00:00Z."));
    }
    const entries = await queryAudit(dataDir, { projectId: project, since });
    return {
      exitCode: 0,
      json: { entries },
      text: entries
        .map((e) => `${e.time}  ${e.action.padEnd(8)} ${e.status.padEnd(7)} ${e.stack}  ${e.actor ?? "-"}${e.stage ? `  ${e.stage}: ${e.reason ?? ""}` : ""}`)
        .join("\n"),
    };
  },
};
