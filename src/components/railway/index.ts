import * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../../planner/spec";
import { physicalName } from "../naming";
import type { BuildContext, TargetOutputs } from "../types";
import type { RailwayDatastore } from "./provider-impl";
import { RailwayProject } from "./railway-project";

/** Type token of the component. */
export const RAILWAY_APP_TYPE = "planner:railway:RailwayApp";

/** The app on Railway: one project resource under a component, as every target has. */
class RailwayApp extends pulumi.ComponentResource {
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, spec: StackSpec, context: BuildContext) {
    super(RAILWAY_APP_TYPE, name, {}, {});
    const datastores: RailwayDatastore[] = spec.services
      .filter((s) => s.provisioning === "managed" && s.connection_env && ["postgres", "mysql", "mongodb", "redis"].includes(s.engine ?? ""))
      .map((s) => ({ engine: s.engine as RailwayDatastore["engine"], connectionEnv: s.connection_env! }));
    const project = new RailwayProject(
      `${name}-project`,
      {
        name: physicalName([spec.project_id, spec.environment], { maxLength: 63, separator: "-" }),
        environment: spec.tier,
        serviceName: "app",
        env: { ...spec.env, PORT: String(spec.build.port) },
        secretEnv: context.secrets,
        datastores,
      },
      { parent: this, protect: spec.protect },
    );
    this.dashboardUrl = project.dashboardUrl;
    this.registerOutputs({ dashboardUrl: this.dashboardUrl });
  }
}

/**
 * Declares the Railway target's resources for a spec. The app service's source (a repository or an image) is connected
 * in Railway; its public URL is Railway's to assign, so the dashboard is reported as the URL until then.
 */
export function buildRailway(spec: StackSpec, context: BuildContext): TargetOutputs {
  const app = new RailwayApp("app", spec, context);
  return { url: app.dashboardUrl, dashboardUrl: app.dashboardUrl, urls: { dashboard: app.dashboardUrl } };
}
