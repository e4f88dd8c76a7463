import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Type token of the component. */
export const GCP_DATASTORE_TYPE = "planner:gcp:Datastore";

/** Arguments of `GcpDatastore`. */
export interface GcpDatastoreArgs {
  /** postgres and mysql on Cloud SQL, redis on Memorystore. */
  readonly engine: "postgres" | "mysql" | "redis";
  /** Name of the instance (at most 63 characters, lower case). */
  readonly name: string;
  /** Region of the instance, e.g. "us-central1". */
  readonly region: string;
  /** Labels put on the instance. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Production settings: deletion protection, backups, a regional (HA) instance and a larger tier.
   * @default false: a small zonal instance without backups, deleted at once
   */
  readonly production?: boolean;
}

/** Where Cloud Run's Cloud SQL connector puts each instance's unix socket (one directory per connection name). */
export const CLOUD_SQL_SOCKET_DIR = "/cloudsql";

/**
 * The connection string of the `app` database over the Cloud SQL connector's unix socket, in the form the usual
 * clients read: PostgreSQL's `host` parameter naming the socket directory (libpq, node-postgres, Prisma), MySQL's
 * `socket` parameter (Prisma and most URL-reading clients).
 */
export function cloudSqlConnectionString(engine: "postgres" | "mysql", password: string, connectionName: string): string {
  const socket = `${CLOUD_SQL_SOCKET_DIR}/${connectionName}`;
  return engine === "postgres" ? `postgres://app:${password}@localhost/app?host=${socket}` : `mysql://app:${password}@localhost/app?socket=${socket}`;
}

/**
 * A managed datastore; its connection string is a secret output. Cloud SQL is reached through Cloud Run's Cloud SQL
 * connector (a unix socket, no authorized networks), Memorystore only from its VPC network. Resource options
 * (`protect`, the GCP provider) reach every child; the password uses the default random provider, which needs no
 * configuration.
 */
export class GcpDatastore extends pulumi.ComponentResource {
  /** Connection string, including the password: always a secret. */
  public readonly connectionString: pulumi.Output<string>;
  /** The Cloud SQL instance's connection name (`project:region:instance`); undefined for Memorystore. */
  public readonly sqlInstance?: pulumi.Output<string>;
  /** The VPC network Memorystore is reachable on; undefined for Cloud SQL. */
  public readonly privateNetwork?: pulumi.Output<string>;

  constructor(name: string, args: GcpDatastoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_DATASTORE_TYPE, name, {}, opts);
    const production = args.production === true;
    if (args.engine === "redis") {
      const redis = new gcp.redis.Instance(
        `${name}-redis`,
        { name: args.name, region: args.region, memorySizeGb: 1, tier: production ? "STANDARD_HA" : "BASIC", authEnabled: true, transitEncryptionMode: "SERVER_AUTHENTICATION", labels: { ...args.labels } },
        { parent: this },
      );
      this.connectionString = pulumi.secret(pulumi.interpolate`rediss://:${redis.authString}@${redis.host}:${redis.port}`);
      // Memorystore answers only on the network it is authorized on (the project's default network unless set).
      this.privateNetwork = redis.authorizedNetwork;
    } else {
      const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
      const instance = new gcp.sql.DatabaseInstance(
        `${name}-instance`,
        {
          name: args.name,
          region: args.region,
          databaseVersion: args.engine === "postgres" ? "POSTGRES_15" : "MYSQL_8_0",
          deletionProtection: production,
          settings: {
            tier: production ? "db-custom-1-3840" : "db-f1-micro",
            availabilityType: production ? "REGIONAL" : "ZONAL",
            backupConfiguration: { enabled: production },
            // The connector reaches the instance by its public IP with IAM, without authorized networks; Cloud SQL's
            // Cloud Run page asks for the per-instance server CA for instances connected to this way.
            ipConfiguration: { ipv4Enabled: true, serverCaMode: "GOOGLE_MANAGED_INTERNAL_CA" },
            userLabels: { ...args.labels },
          },
        },
        { parent: this },
      );
      new gcp.sql.Database(`${name}-database`, { name: "app", instance: instance.name }, { parent: this });
      new gcp.sql.User(`${name}-user`, { name: "app", instance: instance.name, password: password.result }, { parent: this });
      const engine = args.engine;
      this.connectionString = pulumi.secret(pulumi.all([password.result, instance.connectionName]).apply(([secret, connection]) => cloudSqlConnectionString(engine, secret, connection)));
      this.sqlInstance = instance.connectionName;
    }
    this.registerOutputs({ connectionString: this.connectionString, sqlInstance: this.sqlInstance, privateNetwork: this.privateNetwork });
  }
}
