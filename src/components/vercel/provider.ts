import * as pulumi from "@pulumi/pulumi";
import * as vercel from "@pulumiverse/vercel";
import type { StackSpec } from "../../planner/spec";

/**
 * The stack's one Vercel provider: the spec's `target_settings.vercel_team`, else `VERCEL_TEAM`, else the token's own
 * account; the API token from `VERCEL_API_TOKEN`, kept a secret in the state.
 */
export function vercelProvider(spec: Pick<StackSpec, "target_settings">, env: NodeJS.ProcessEnv = process.env): vercel.Provider {
  const token = env.VERCEL_API_TOKEN;
  return new vercel.Provider("vercel", {
    team: spec.target_settings.vercel_team ?? (env.VERCEL_TEAM || undefined),
    apiToken: token ? pulumi.secret(token) : undefined,
  });
}
