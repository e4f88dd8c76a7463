import path from "node:path";
import { failure, isFailure } from "../../outcome";
import type { CliCommand } from "../command";
import { planner } from "../load";
import { LOCK_WAIT_FLAGS, WORKSPACE_FLAGS, errorOutput, failureOutput } from "../shared";
import { deployFromArgs } from "./deploy";

/** `preview <file|-> [--offline]`: what a deploy would change, through the engine or offline under mocks. */
export const previewCommand: CliCommand = {
  name: "preview",
  summary: "Show what deploying a request would change (--offline: the resource graph under mocks, no credentials).",
  usage: "preview <file|-> [--offline] [--json] [--lock-wait <seconds>] [--workspace <dir>] [--backend <url>]",
  flags: {
    ...WORKSPACE_FLAGS,
    ...LOCK_WAIT_FLAGS,
    offline: { type: "boolean", description: "Run the program under Pulumi's mocks: no engine, credentials or network." },
  },
  async run(args, context) {
    if (args.flags.offline !== true) return deployFromArgs(args, context, true);
    const { plan, readRequestDocument } = await planner();
    const document = await readRequestDocument(args.positionals[0] ?? "", { cwd: context.cwd, stdin: context.stdin });
    if (isFailure(document)) return failureOutput(document);
    const planned = plan(document.request, { baseDir: document.baseDir ?? path.resolve(context.cwd) });
    if (isFailure(planned)) return failureOutput(planned);
    if (planned.status !== "planned") {
      return failureOutput({
        status: "error",
        stage: "plan",
        reason: "an offline preview needs a full deployment request; a redeploy request is resolved against the stack's history",
        fix_suggestion: "Run 'deployment-planner preview' without --offline, or pass the full request.",
      });
    }
    try {
      // Loaded on demand: the offline preview pulls in every target's SDK.
      const { previewOffline, renderOfflinePreview } = await import("../../stacks/offline-preview");
      const preview = await previewOffline(planned.spec);
      return { exitCode: 0, json: preview, text: renderOfflinePreview(preview) };
    } catch (error) {
      if (error instanceof Error && (error as { code?: string }).code === "OFFLINE_PREVIEW_FAILED") {
        return failureOutput(
          failure("plan", error.message, "Fix the spec or choose a target whose components can declare it (local, docker, vercel, aws, gcp)."),
        );
      }
      return errorOutput(error);
    }
  },
};
