import path from "node:path";
import type { DeployResult } from "../../automation/index";
import { isFailure } from "../../outcome";
import type { CliCommand, CliContext, CommandArgs, CommandOutput } from "../command";
import { automation, planner } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, failureOutput, formatChanges, formatDoneChanges, lockWaitFromArgs, workspaceOptions } from "../shared";

/** Renders a deploy or preview result for a person. */
export function renderDeployResult(result: DeployResult): CommandOutput {
  if (isFailure(result)) return failureOutput(result);
  if (result.status === "previewed") {
    return {
      exitCode: 0,
      json: result,
      text: [
        `preview of ${result.stack} on ${result.deployed_to}: ${formatChanges(result.changes)}`,
        ...result.steps.map((s) => `  ${s.op.padEnd(8)} ${s.type} ${s.name}`),
      ].join("\n"),
    };
  }
  const release = `update ${result.version}${result.version_name ? `, ${result.version_name}` : ""}`;
  const lines = result.converged
    ? [
        `${result.stack} on ${result.deployed_to} already serves this deployment (${release}): no changes, no engine run (--refresh runs it anyway) in ${(result.duration_ms / 1000).toFixed(1)}s`,
        `url: ${result.url}`,
      ]
    : [`deployed ${result.stack} to ${result.deployed_to} (${release}) in ${(result.duration_ms / 1000).toFixed(1)}s`, `url: ${result.url}`];
  if (result.url_changed_from) lines.push(`the URL changed: it was ${result.url_changed_from}, which no longer serves this stack`);
  if (result.dashboard_url && result.dashboard_url !== result.url) lines.push(`dashboard: ${result.dashboard_url}`);
  if (!result.converged) lines.push(`changes: ${formatDoneChanges(result.changes)}`);
  if (result.drift) lines.push(result.drift.length > 0 ? `drift repaired: ${result.drift.join("; ")}` : "drift: none (every resource matched the stack's record)");
  for (const secret of result.secrets) lines.push(`secret ${secret.name} from ${secret.scheme}:${secret.location}${secret.version ? ` (version ${secret.version})` : ""}`);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  if (result.next_steps.length > 0) lines.push("next steps:", ...result.next_steps.map((s) => `  - ${s}`));
  return { exitCode: 0, json: result, text: lines.join("\n") };
}

/** Runs planAndDeploy for the request named on the command line, optionally forcing preview-only. */
export async function deployFromArgs(args: CommandArgs, context: CliContext, previewOnly: boolean): Promise<CommandOutput> {
  const [input] = args.positionals;
  const { readRequestDocument } = await planner();
  const document = await readRequestDocument(input ?? "", { cwd: context.cwd, stdin: context.stdin });
  if (isFailure(document)) return failureOutput(document);
  let request = document.request;
  if (previewOnly && typeof request === "object" && request !== null && !Array.isArray(request)) {
    request = { ...(request as Record<string, unknown>), deployment_type: "preview_only" };
  }
  const lockWaitMs = lockWaitFromArgs(args);
  if (isFailure(lockWaitMs)) return failureOutput(lockWaitMs);
  const options = workspaceOptions(args, context);
  const { planAndDeploy, osUserName } = await automation();
  const result = await planAndDeploy(request, {
    ...options,
    lockWaitMs,
    actor: osUserName(),
    baseDir: document.baseDir ?? path.resolve(context.cwd),
    signal: context.signal,
    refresh: args.flags.refresh === true,
    onProgress: (line) => context.stderr.write(`${line}\n`),
  });
  return renderDeployResult(result);
}

/** `deploy <file|->`: plan, check, package, deploy and verify a request. */
export const deployCommand: CliCommand = {
  name: "deploy",
  summary: "Plan a request and deploy it: checks, packaging, pulumi up, health check; prints the URL.",
  usage: "deploy <file|-> [--refresh] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    ...LOCK_WAIT_FLAGS,
    refresh: {
      type: "boolean",
      description:
        "Run the engine even when the stack already serves this deployment, reading each resource's real state first; reports the drift it repaired.",
    },
  },
  run: (args, context) => deployFromArgs(args, context, false),
};
