import { existsSync } from "node:fs";
import { failure, type FailureResult } from "../../outcome";
import { type Target, TARGETS } from "../../planner/spec";

/** One credential a target needs: the variables that can carry it, any one of which is enough. */
interface CredentialRequirement {
  readonly name: string;
  readonly anyOf: readonly string[];
  /** Checked by a function instead of variables (the Docker engine's socket). */
  readonly check?: (env: NodeJS.ProcessEnv) => boolean;
}

/** Credentials each target needs; values are never read beyond "is it set". */
const REQUIREMENTS: Readonly<Record<Target, readonly CredentialRequirement[]>> = {
  local: [],
  docker: [
    {
      name: "Docker engine (DOCKER_HOST or /var/run/docker.sock)",
      anyOf: ["DOCKER_HOST"],
      check: (env) => Boolean(env.DOCKER_HOST) || existsSync("/var/run/docker.sock"),
    },
  ],
  vercel: [{ name: "VERCEL_API_TOKEN", anyOf: ["VERCEL_API_TOKEN"] }],
  netlify: [{ name: "NETLIFY_AUTH_TOKEN", anyOf: ["NETLIFY_AUTH_TOKEN"] }],
  railway: [
    {
      name: "RAILWAY_API_TOKEN (account or workspace token: creates a project per stack) or RAILWAY_TOKEN (project token: deploys into its own project's environment)",
      anyOf: ["RAILWAY_API_TOKEN", "RAILWAY_TOKEN"],
    },
  ],
  aws: [
    {
      name: "AWS credentials (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, AWS_PROFILE or AWS_WEB_IDENTITY_TOKEN_FILE)",
      anyOf: ["AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"],
      check: (env) =>
        (Boolean(env.AWS_ACCESS_KEY_ID) && Boolean(env.AWS_SECRET_ACCESS_KEY)) || Boolean(env.AWS_PROFILE) || Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE),
    },
  ],
  gcp: [
    {
      name: "Google credentials (GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CREDENTIALS)",
      anyOf: ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CREDENTIALS", "CLOUDSDK_AUTH_ACCESS_TOKEN"],
    },
    { name: "GOOGLE_PROJECT", anyOf: ["GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"] },
  ],
};

const FIXES: Readonly<Record<Target, string>> = {
  local: "",
  docker: "Start a Docker engine on this machine or set DOCKER_HOST to a reachable one.",
  vercel: "Create a token at vercel.com/account/tokens and export it as VERCEL_API_TOKEN (or store it in Vault and export it from there).",
  netlify: "Create a personal access token in Netlify's user settings and export it as NETLIFY_AUTH_TOKEN.",
  railway:
    "Create an account or workspace token at railway.com/account/tokens and export it as RAILWAY_API_TOKEN (set RAILWAY_WORKSPACE_ID to create projects in a workspace); a project token, exported as RAILWAY_TOKEN, cannot create projects: the stack then deploys into that token's project and environment, which must be named like the stack's (e.g. staging).",
  aws: "Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, for an identity allowed to deploy.",
  gcp: "Export GOOGLE_APPLICATION_CREDENTIALS (a service account key file) and GOOGLE_PROJECT.",
};

function present(requirement: CredentialRequirement, env: NodeJS.ProcessEnv): boolean {
  return requirement.check ? requirement.check(env) : requirement.anyOf.some((name) => Boolean(env[name]));
}

/** What `doctor` shows per target: each credential's name and whether it is present — never a value. */
export interface TargetCredentialsReport {
  readonly target: Target;
  readonly ready: boolean;
  readonly credentials: readonly { readonly name: string; readonly present: boolean }[];
}

/** Reports, for every target, which credentials are present. */
export function describeCredentials(env: NodeJS.ProcessEnv = process.env): TargetCredentialsReport[] {
  return TARGETS.map((target) => {
    const credentials = REQUIREMENTS[target].map((r) => ({ name: r.name, present: present(r, env) }));
    return { target, ready: credentials.every((c) => c.present), credentials };
  });
}

/**
 * Checks that a target's credentials are present before any engine run: a failure result with stage
 * `env_setup` naming every missing one, or null when all are there.
 */
export function checkTargetCredentials(target: Target, env: NodeJS.ProcessEnv = process.env): FailureResult | null {
  const missing = REQUIREMENTS[target].filter((r) => !present(r, env)).map((r) => r.name);
  if (missing.length === 0) return null;
  return failure("env_setup", `Missing credentials for ${target}: ${missing.join(", ")}`, FIXES[target], {
    problems: missing.map((m) => `Missing credentials for ${target}: ${m}`),
  });
}
