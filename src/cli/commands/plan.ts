import { isFailure } from "../../outcome";
import type { StackSpec } from "../../planner/index";
import type { CliCommand } from "../command";
import { planner, secretReferences } from "../load";
import { failureOutput } from "../shared";

/** `plan <file|-> [--explain]`: the stack spec a request plans to, or a failure result. */
export const planCommand: CliCommand = {
  name: "plan",
  summary: "Plan a deployment request into a typed stack spec (no engine, no credentials needed).",
  usage: "plan <file|-> [--json] [--explain]",
  flags: { explain: { type: "boolean", description: "Print every decision and its reason, the secrets and where each is expected." } },
  async run(args, context) {
    const { explainPlan, plan, readRequestDocument } = await planner();
    const document = await readRequestDocument(args.positionals[0] ?? "", { cwd: context.cwd, stdin: context.stdin });
    if (isFailure(document)) return failureOutput(document);
    const result = plan(document.request, { baseDir: document.baseDir ?? context.cwd });
    if (isFailure(result)) return failureOutput(result);
    if (result.status === "redeploy") {
      return { exitCode: 0, json: result, text: `${result.summary}\n(run 'deployment-planner deploy' with this request to do it)` };
    }
    const secrets = await secretsExpected(result.spec, { env: context.env, baseDir: document.baseDir ?? context.cwd });
    const json = { ...result, secrets };
    if (args.flags.explain === true) {
      const lines = [explainPlan(result).trimEnd()];
      if (secrets.length > 0) {
        lines.push("", "where each secret is expected:", ...secrets.map((s) => `  ${s.name}: ${s.expected_at.valid ? s.expected_at.description : s.expected_at.error}`));
      }
      return { exitCode: 0, json, text: lines.join("\n") };
    }
    const spec = result.spec;
    const text = [
      `planned ${spec.stack}: ${spec.deployment_type} on ${spec.target} (${spec.region}), ${spec.build.kind} build`,
      ...(secrets.length > 0 ? ["secrets needed:", ...secrets.map((s) => `  ${s.name}: ${s.expected_at.valid ? s.expected_at.description : s.expected_at.error}`)] : []),
      ...result.warnings.map((w) => `warning: ${w}`),
      ...(spec.next_steps.length > 0 ? ["next steps:", ...spec.next_steps.map((s) => `  - ${s}`)] : []),
      "(--explain shows every decision; --json the full spec)",
    ];
    return { exitCode: 0, json, text: text.join("\n") };
  },
};

/** Where each of a spec's secrets is expected; the secrets module (and its vault client) loads only for a spec with some. */
async function secretsExpected(spec: StackSpec, where: { readonly env: NodeJS.ProcessEnv; readonly baseDir: string }) {
  if (spec.secrets.length === 0) return [];
  const { describeSecretLocation } = await secretReferences();
  return spec.secrets.map((secret) => ({ name: secret.name, ref: secret.ref, expected_at: describeSecretLocation(secret.ref, spec.project_id, where) }));
}
