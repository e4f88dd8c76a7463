import * as pulumi from "@pulumi/pulumi";
import { lazyDynamicProvider } from "../dynamic-provider";
import type { RailwayDatastore } from "./provider-impl";

const projectProvider = lazyDynamicProvider("railway", { create: "createProject", read: "readProject", update: "updateProject", delete: "deleteProject", diff: "diffProject" });

/** Arguments of `RailwayProject`. */
export interface RailwayProjectArgs {
  readonly name: string;
  /** Railway environment, e.g. "production" or "staging". */
  readonly environment: string;
  readonly serviceName: string;
  /** Image the app runs. @default none: connect the service to its repository in Railway */
  readonly image?: string | null;
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables; they stay Pulumi secrets. @default none */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Datastores run as Railway services, wired into the app by reference variables. @default none */
  readonly datastores?: readonly RailwayDatastore[];
}

/** A Railway project with its environment, app service, datastore services and variables, through Railway's GraphQL API. */
export class RailwayProject extends pulumi.dynamic.Resource {
  public declare readonly projectId: pulumi.Output<string>;
  public declare readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: RailwayProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      projectProvider,
      name,
      {
        name: args.name,
        environment: args.environment,
        serviceName: args.serviceName,
        image: args.image ?? null,
        env: { ...(args.env ?? {}) },
        secretEnv: pulumi.secret(pulumi.output(args.secretEnv ?? {})),
        datastores: [...(args.datastores ?? [])],
        projectId: undefined,
        environmentId: undefined,
        serviceId: undefined,
        datastoreServiceIds: undefined,
        dashboardUrl: undefined,
      },
      { ...opts, additionalSecretOutputs: ["secretEnv"] },
      "railway",
      "Project",
    );
  }
}
