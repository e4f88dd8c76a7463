import { failure, type FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { resolveSecrets } from "../../secrets/index";
import type { ResolvedSecret, SecretProvenance } from "../../secrets/types";
import { TARGET_RUNTIMES } from "../../components/runtimes";
import { checkTargetCredentials } from "./credentials";
import { checkTargetPackages } from "../workspace/index";

/** Options of `preDeploymentChecks`. */
export interface PreDeploymentCheckOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Directory relative `file:` references are resolved against. */
  readonly baseDir?: string;
  readonly signal?: AbortSignal;
}

/** What passed checks hand on: the secret values (in memory only) and where each came from. */
export interface CheckedDeployment {
  readonly ok: true;
  readonly secrets: readonly ResolvedSecret[];
  readonly provenance: readonly SecretProvenance[];
}

/**
 * Runs every check that needs no engine: every secret reference resolved, the target's provider SDKs installed and its
 * credentials present.
 * All problems come back at once, as one failure result with stage `env_setup`; no Pulumi process is started.
 */
export async function preDeploymentChecks(spec: StackSpec, options: PreDeploymentCheckOptions = {}): Promise<CheckedDeployment | FailureResult> {
  const env = options.env ?? process.env;
  const resolution = await resolveSecrets(spec.secrets, { projectId: spec.project_id, env, baseDir: options.baseDir, signal: options.signal });
  // The target's own check (the Docker engine answers) runs once its packages and credentials are there.
  const credentials =
    checkTargetPackages(spec.target) ?? checkTargetCredentials(spec.target, env) ?? (await TARGET_RUNTIMES[spec.target].preflight?.(env)) ?? null;
  if (resolution.ok && !credentials) {
    return { ok: true, secrets: resolution.secrets, provenance: resolution.secrets.map((s) => s.provenance) };
  }
  if (!resolution.ok && !credentials) return resolution.failure;
  if (resolution.ok && credentials) return credentials;
  // Both failed: one object, secrets first (a missing secret is the failure the docs show first), then credentials.
  const secretFailure = (resolution as { failure: FailureResult }).failure;
  const problems = [...(secretFailure.problems ?? [secretFailure.reason]), ...(credentials!.problems ?? [credentials!.reason])];
  return failure("env_setup", secretFailure.reason, `${secretFailure.fix_suggestion}; ${credentials!.fix_suggestion}`, { problems });
}
