import * as gcp from "@pulumi/gcp";
import type { StackSpec } from "../../planner/spec";

/**
 * The GCP project a stack deploys into: the spec's `target_settings.gcp_project`, else the deploying environment's
 * `GOOGLE_PROJECT` or `GOOGLE_CLOUD_PROJECT`, read when the program runs; undefined when none is set.
 */
export function gcpProjectOf(spec: Pick<StackSpec, "target_settings">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return spec.target_settings.gcp_project ?? (env.GOOGLE_PROJECT || env.GOOGLE_CLOUD_PROJECT || undefined);
}

/**
 * The stack's one GCP provider, in the spec's project and region. Every GCP resource of the stack uses it, so nothing
 * depends on the deploying environment's `gcp:project` or `gcp:region` config.
 */
export function gcpProvider(spec: Pick<StackSpec, "region" | "target_settings">): gcp.Provider {
  return new gcp.Provider("gcp", { project: gcpProjectOf(spec), region: spec.region });
}
