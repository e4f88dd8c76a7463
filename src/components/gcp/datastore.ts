import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Type token of the component. */
export const GCP_DATASTORE_TYPE = "planner:gcp:Datastore";

/** Arguments of `GcpDatastore`. */
export interface GcpDatastoreArgs {
  /** postgres and mysql on Cloud SQL, redis on Memorystore. */
  readonly engine: "postgres" | "mysql" | "redis";
  readonly name: string;
  readonly region: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly protect?: boolean;
}

/** A managed datastore; its connection string is a secret output. */
export class GcpDatastore extends pulumi.ComponentResource {
  public readonly connectionString: pulumi.Output<string>;

  constructor(name: string, args: GcpDatastoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_DATASTORE_TYPE, name, {}, opts);
    const protect = args.protect === true;
    if (args.engine === "redis") {
      const redis = new gcp.redis.Instance(
        `${name}-redis`,
        { name: args.name, region: args.region, memorySizeGb: 1, tier: protect ? "STANDARD_HA" : "BASIC", authEnabled: true, transitEncryptionMode: "SERVER_AUTHENTICATION", labels: { ...args.labels } },
        { parent: this, protect },
      );
      this.connectionString = pulumi.secret(pulumi.interpolate`rediss://:${redis.authString}@${redis.host}:${redis.port}`);
    } else {
      const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
      const instance = new gcp.sql.DatabaseInstance(
        `${name}-instance`,
        {
          name: args.name,
          region: args.region,
          databaseVersion: args.engine === "postgres" ? "POSTGRES_15" : "MYSQL_8_0",
          deletionProtection: protect,
          settings: {
            tier: protect ? "db-custom-1-3840" : "db-f1-micro",
            availabilityType: protect ? "REGIONAL" : "ZONAL",
            backupConfiguration: { enabled: protect },
            userLabels: { ...args.labels },
          },
        },
        { parent: this, protect },
      );
      new gcp.sql.Database(`${name}-database`, { name: "app", instance: instance.name }, { parent: this });
      new gcp.sql.User(`${name}-user`, { name: "app", instance: instance.name, password: password.result }, { parent: this });
      const scheme = args.engine === "postgres" ? "postgres" : "mysql";
      this.connectionString = pulumi.secret(pulumi.interpolate`${scheme}://app:${password.result}@${instance.publicIpAddress}/app`);
    }
    this.registerOutputs({ connectionString: this.connectionString });
  }
}
