import type { OperationFacts } from "../../automation/index";
import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { automation, planner } from "../load";
import { WORKSPACE_FLAGS, errorOutput, failureOutput, stackFromArgs, workspaceOptions } from "../shared";

/** `list [--project <id>] [--preview]`: every stack (or only previews) with the update and version that serve, its URL and its last operation. */
export const listCommand: CliCommand = {
  name: "list",
  summary: "List stacks: target, the update and version that serve, URL, the last operation (who, when, how it ended), expiry, lock, rollout.",
  usage: "list [--project <id>] [--preview] [--json] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    project: { type: "string", description: "Only this project's stacks." },
    preview: { type: "boolean", description: "Only preview environments (preview, preview-<name>, such as a pull request's preview-pr-<number>)." },
  },
  async run(args, context) {
    const projectId = typeof args.flags.project === "string" ? args.flags.project : undefined;
    const { identifierSchema } = await planner();
    if (projectId !== undefined && !identifierSchema.safeParse(projectId).success) {
      return failureOutput(failure("validation", `--project: not a project id: '${projectId.slice(0, 80)}'`, "Pass the project_id the stacks were deployed with."));
    }
    const { listStacks, openWorkspace, describeOperationLine } = await automation();
    try {
      const all = await listStacks(await openWorkspace(workspaceOptions(args, context)), { projectId });
      // A preview is an environment of the preview tier: `preview`, or `preview-<name>`.
      const stacks = args.flags.preview === true ? all.filter((s) => s.environment === "preview" || s.environment.startsWith("preview-")) : all;
      return {
        exitCode: 0,
        json: { stacks },
        text: [
          "stack                                    target   update  version     url                            last operation",
          ...stacks.map(
            (s) =>
              `${s.stack.padEnd(40)} ${s.target.padEnd(8)} ${String(s.update ?? "-").padEnd(7)} ${(s.version_name ?? "-").padEnd(11)} ${(s.url ?? "-").padEnd(30)} ${s.last_update ? describeOperationLine(s.last_update) : "never updated"}${s.locked ? "  (locked)" : ""}${s.rollout ? `  (rollout: step ${s.rollout.step}/${s.rollout.steps.length}, ${s.rollout.weight}%)` : ""}${s.expires_at ? `  expires ${s.expires_at}` : ""}`,
          ),
        ].join("\n"),
      };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** `gc [--dry-run]`: destroys preview environments past their time to live. */
export const gcCommand: CliCommand = {
  name: "gc",
  summary: "Destroy preview environments past their time to live (idempotent; safe from cron).",
  usage: "gc [--dry-run] [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS, "dry-run": { type: "boolean", description: "List the expired previews, change nothing." } },
  async run(args, context) {
    try {
      const { collectExpiredPreviews, openWorkspace, osUserName } = await automation();
      const result = await collectExpiredPreviews(await openWorkspace(workspaceOptions(args, context)), {
        dryRun: args.flags["dry-run"] === true,
        actor: osUserName(),
        signal: context.signal,
        onProgress: (line) => context.stderr.write(`${line}\n`),
      });
      const lines = result.dry_run
        ? [`${result.expired.length} expired preview stack(s) would be destroyed`, ...result.expired.map((e) => `  ${e.stack} (expired ${e.expired_at})`)]
        : [
            `destroyed ${result.destroyed.length} expired preview stack(s)`,
            ...result.destroyed.map((s) => `  ${s}`),
            ...result.failed.map((f) => `  left ${f.stack} for the next run: ${f.reason}`),
          ];
      return { exitCode: result.failed.length === 0 ? 0 : 2, json: result, text: lines.join("\n") };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** `status <project_id> <env>`: what serves, the last operation, URL, lock and its rollout (weights, error rates, step, time left). */
export const statusCommand: CliCommand = {
  name: "status",
  summary:
    "Show one stack: the update and version that serve, the last operation and how it ended, URL, lock, and a rollout in progress (weights, error rates, step, time left). Exits 3 when nothing of the stack serves.",
  usage: "status <project_id> <env> [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS },
  async run(args, context) {
    const target = await stackFromArgs(args, this.usage);
    if (isFailure(target)) return failureOutput(target);
    try {
      const { stackStatus, openWorkspace, describeServing, describeLiveRelease, describeRollout, describeOperationLine } = await automation();
      const status = await stackStatus(await openWorkspace(workspaceOptions(args, context)), target.stack);
      if (status === null) {
        return failureOutput(failure("validation", `no stack file for ${target.stack} in this workspace`, "Check the project_id and environment with 'deployment-planner list'."));
      }
      const lines = [
        `${status.stack} on ${status.target}: ${describeServing(status, status.live?.state)}`,
        ...operationLines(status, describeOperationLine),
        `url: ${status.url ?? "-"}${status.locked ? "  (an operation holds the stack)" : ""}`,
        ...(status.live ? [describeLiveRelease(status.live)] : []),
        ...(status.last_rollout ? describeRollout(status.last_rollout) : []),
      ];
      // A script's `status p env && ...` must not go on when nothing of the stack serves: the report is printed either way.
      const serves = status.serving !== null && (status.live === null || status.live.state === "serving");
      return { exitCode: serves ? EXIT_CODES.success : EXIT_CODES.notServing, json: status, text: lines.join("\n") };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

/** The update that serves and, when another operation came after it, that one too (a cancelled or failed update). */
function operationLines(
  status: { serving: OperationFacts | null; destroyed: OperationFacts | null; last_update: OperationFacts | null },
  describeOperationLine: (facts: OperationFacts) => string,
): string[] {
  const { serving, last_update: last } = status;
  const lines = serving ? [`  ${describeOperationLine(serving)}`] : [];
  const shown = serving ?? status.destroyed;
  if (last && !(shown && last.update === shown.update)) lines.push(`  ${describeOperationLine(last)}`);
  return lines;
}
