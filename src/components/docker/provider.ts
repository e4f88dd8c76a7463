import * as docker from "@pulumi/docker";
import type { StackSpec } from "../../planner/spec";

/**
 * The stack's one Docker provider: the engine at the spec's `target_settings.docker_host`, else `DOCKER_HOST`, else the
 * local socket (host unset).
 */
export function dockerProvider(spec: Pick<StackSpec, "target_settings">, env: NodeJS.ProcessEnv = process.env): docker.Provider {
  return new docker.Provider("docker", { host: spec.target_settings.docker_host ?? (env.DOCKER_HOST || undefined) });
}
