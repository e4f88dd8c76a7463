import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { RailwayDatastore } from "./provider-impl";

// Captures only module paths, like the local target's providers: the logic is loaded in the provider process.
const TSX_API = require.resolve("tsx/cjs/api");
const IMPLEMENTATION = path.join(__dirname, "provider-impl.ts");

const projectProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).createProject(inputs);
  },
  async read(id, props) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).readProject(id, props);
  },
  async update(id, olds, news) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).updateProject(id, olds, news);
  },
  async delete(id) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).deleteProject(id);
  },
  async diff(_id, olds, news) {
    require(TSX_API).register();
    return require(IMPLEMENTATION).diffProject(olds, news);
  },
};

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
