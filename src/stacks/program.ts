import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stackSpecSchema, type StackSpec } from "../planner/spec";
import { TARGET_BUILDERS } from "../components/registry";
import type { TrafficStep } from "../components/types";

import { SPEC_CONFIG_KEY } from "./config-keys";

export { SPEC_CONFIG_KEY } from "./config-keys";

/** Outputs of the program, as `pulumi stack output` shows them. */
export interface ProgramOutputs {
  url: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  urls: pulumi.Output<Record<string, string>>;
  target: string;
  stack: string;
  artifactDigest: string | null;
  /** The newest revision, on targets that name them (Cloud Run). */
  revision?: pulumi.Output<string>;
  /** The release that serves, as the target's proof names it (see `TargetOutputs.release`). */
  release?: pulumi.Output<string>;
  /** What the target's release proof asks its platform about (site, service or container ids). */
  releaseProof?: pulumi.Output<Record<string, string>>;
}

/** Options of `programFor`. */
export interface ProgramOptions {
  /**
   * Secret values resolved before the run, by variable name. When absent (a directory program run by hand), the
   * program resolves the spec's references itself.
   */
  readonly resolvedSecrets?: Readonly<Record<string, string>>;
  /**
   * The workspace the spec's relative paths (its bundle) are relative to; default the working directory, which is
   * the workspace when `pulumi` runs the directory program.
   */
  readonly workspaceDir?: string;
  /** The canary step a stepped rollout is at (Cloud Run); absent, the new release takes all traffic. */
  readonly trafficStep?: TrafficStep;
}

/**
 * The one Pulumi program: a pure function of the spec (and, for what the spec leaves to the deploying environment, such
 * as GOOGLE_PROJECT or VERCEL_API_TOKEN, that environment). The backend runs it inline; the root `Pulumi.yaml` runs it
 * as a directory program reading the spec from stack config, so both see the same resources. Each target's resources
 * go through one explicit provider made from the spec, never the ambient `aws:region` or `gcp:project` config.
 */
export function programFor(spec: StackSpec, options: ProgramOptions = {}): () => Promise<ProgramOutputs> {
  return async () => {
    const values = options.resolvedSecrets ?? (await resolveForDirectoryProgram(spec));
    const secrets: Record<string, pulumi.Output<string>> = {};
    for (const { name } of spec.secrets) {
      const value = values[name];
      if (value === undefined) throw new Error(`secret ${name} was not resolved`);
      secrets[name] = pulumi.secret(value);
    }
    const build = await TARGET_BUILDERS[spec.target]();
    const bundleDir = spec.artifact ? path.resolve(options.workspaceDir ?? process.cwd(), spec.artifact.path) : null;
    // Resource options reach every component and, through `parent`, every child: a protected (production) stack
    // protects all its resources. The builder adds the stack's one explicit provider, made from the spec.
    const built = build(spec, { secrets, baseName: `${spec.project_id}-${spec.environment}`, bundleDir, trafficStep: options.trafficStep }, { protect: spec.protect });
    return {
      url: pulumi.output(built.url) as pulumi.Output<string>,
      dashboardUrl: pulumi.output(built.dashboardUrl) as pulumi.Output<string>,
      urls: pulumi.output(built.urls) as pulumi.Output<Record<string, string>>,
      target: spec.target,
      stack: spec.stack,
      artifactDigest: spec.artifact?.digest ?? null,
      ...(built.revision ? { revision: pulumi.output(built.revision) as pulumi.Output<string> } : {}),
      ...(built.release ? { release: pulumi.output(built.release) as pulumi.Output<string> } : {}),
      ...(built.releaseProof ? { releaseProof: pulumi.output(built.releaseProof) as pulumi.Output<Record<string, string>> } : {}),
    };
  };
}

async function resolveForDirectoryProgram(spec: StackSpec): Promise<Record<string, string>> {
  if (spec.secrets.length === 0) return {};
  const { resolveSecrets } = await import("../secrets/index");
  const resolution = await resolveSecrets(spec.secrets, { projectId: spec.project_id });
  if (!resolution.ok) throw new Error(`${resolution.failure.reason}. ${resolution.failure.fix_suggestion}`);
  return Object.fromEntries(resolution.secrets.map((s) => [s.name, s.value]));
}

/** Reads and validates the spec from the current stack's config (directory program). */
export function specFromStackConfig(): StackSpec {
  const config = new pulumi.Config();
  const raw = config.getObject<unknown>(SPEC_CONFIG_KEY);
  if (raw === undefined) {
    throw new Error(
      `no spec configured: stack '${pulumi.getStack()}' has no '${pulumi.getProject()}:${SPEC_CONFIG_KEY}' config; deploy it with 'deployment-planner deploy' first`,
    );
  }
  const parsed = stackSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid spec in stack config: ${issues}`);
  }
  return parsed.data;
}
