import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { NAME_RULES, physicalName } from "../naming";
import { imageBuildFor } from "../image-build";
import type { BuildContext, TargetOutputs } from "../types";
import { DockerApp, type DockerDatastore } from "./docker-app";
import { dockerProvider } from "./provider";

/** Declares the Docker target's resources for a spec, all through one Docker provider on the spec's engine. */
export function buildDocker(spec: StackSpec, context: BuildContext, opts: pulumi.ComponentResourceOptions = {}): TargetOutputs {
  if (!spec.artifact) throw new Error(`the docker target builds an image from the bundle, and the spec of ${spec.stack} has none`);
  const datastores: DockerDatastore[] = spec.services
    .filter((s) => s.provisioning === "container" && s.engine && s.engine !== "sqlite" && s.connection_env)
    .map((s) => ({ engine: s.engine as DockerDatastore["engine"], connectionEnv: s.connection_env! }));
  const app = new DockerApp(
    "app",
    {
      baseName: physicalName([spec.project_id, spec.environment], NAME_RULES.dockerName),
      image: imageBuildFor(spec, context.bundleDir ?? spec.artifact.path),
      port: spec.build.port,
      healthCheckPath: spec.build.health_check_path,
      env: spec.env,
      secrets: context.secrets,
      datastores,
    },
    { ...opts, providers: [dockerProvider(spec)] },
  );
  // The release is the container: its proof asks the engine whether that container, from this image, holds the port.
  return { url: app.url, dashboardUrl: app.url, urls: { app: app.url }, release: app.containerId, releaseProof: { image: app.image } };
}
