import { failure, type FailureResult } from "../../outcome";
import type { StackSpec } from "../../planner/spec";
import { resolveSecrets } from "../../secrets/index";
import type { ResolvedSecret, SecretProvenance } from "../../secrets/types";
import { checkTargetCredentials, dockerEngineAnswers } from "./credentials";
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
  let credentials = checkTargetPackages(spec.target) ?? checkTargetCredentials(spec.target, env);
  // A socket file is not an engine: ask the local Docker engine to answer before planning on it.
  if (!credentials && spec.target === "docker" && !env.DOCKER_HOST && !(await dockerEngineAnswers())) {
    credentials = failure("env_setup", "Missing credentials for docker: the Docker engine at /var/run/docker.sock does not answer", "Start the Docker engine, or set DOCKER_HOST to a reachable one.");
  }
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
