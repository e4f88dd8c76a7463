import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import { DockerApp, type DockerDatastore } from "./docker-app";

/** Catalog ids of frameworks that run as a Node.js server, so a generated Dockerfile can run them. */
const NODE_FRAMEWORKS = new Set(["nodejs", "express", "fastify", "nestjs", "nextjs", "nuxt", "sveltekit", "remix"]);

/** Declares the Docker target's resources for a spec. */
export function buildDocker(spec: StackSpec, context: BuildContext): TargetOutputs {
  if (!spec.artifact) throw new Error(`the docker target builds an image from the bundle, and the spec of ${spec.stack} has none`);
  const datastores: DockerDatastore[] = spec.services
    .filter((s) => s.provisioning === "container" && s.engine && s.engine !== "sqlite" && s.connection_env)
    .map((s) => ({ engine: s.engine as DockerDatastore["engine"], connectionEnv: s.connection_env! }));
  const app = new DockerApp("app", {
    baseName: physicalName([spec.project_id, spec.environment], NAME_RULES.dockerName),
    bundlePath: context.bundleDir ?? spec.artifact.path,
    buildKind: spec.build.kind,
    nodeRuntime: spec.build.kind === "node" || NODE_FRAMEWORKS.has(spec.build.framework ?? ""),
    startCommand: spec.build.start_command,
    port: spec.build.port,
    healthCheckPath: spec.build.health_check_path,
    env: spec.env,
    secrets: context.secrets,
    datastores,
  });
  return { url: app.url, dashboardUrl: app.url, urls: { app: app.url } };
}
