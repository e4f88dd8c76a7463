import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Type token of the component. */
export const AWS_DATASTORE_TYPE = "planner:aws:Datastore";

/** Arguments of `Datastore`. */
export interface DatastoreArgs {
  /** postgres and mysql run on RDS, mongodb on DocumentDB, redis on ElastiCache. */
  readonly engine: "postgres" | "mysql" | "mongodb" | "redis";
  /** Identifier of the cluster or instance (at most 40 characters). */
  readonly identifier: string;
  /** Tags put on every resource. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Production settings: the cloud's deletion protection, a final snapshot, backups kept 7 days and a standby Redis
   * node. @default false: deleted at once, without a snapshot
   */
  readonly production?: boolean;
  /** Instance class or node type. @default a small burstable class */
  readonly instanceClass?: string;
}

/**
 * A managed datastore; its connection string is a secret output for the app's variables. Resource options (`protect`,
 * the AWS provider) reach every child; the password uses the default random provider, which needs no configuration.
 */
export class Datastore extends pulumi.ComponentResource {
  /** Connection string, including the generated password: always a secret. */
  public readonly connectionString: pulumi.Output<string>;

  constructor(name: string, args: DatastoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_DATASTORE_TYPE, name, {}, opts);
    const tags = { ...args.tags };
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const production = args.production === true;
    let connection: pulumi.Output<string>;
    if (args.engine === "postgres" || args.engine === "mysql") {
      const db = new aws.rds.Instance(
        `${name}-db`,
        {
          identifier: args.identifier,
          engine: args.engine,
          instanceClass: args.instanceClass ?? "db.t4g.micro",
          allocatedStorage: 20,
          dbName: "app",
          username: "app",
          password: password.result,
          storageEncrypted: true,
          publiclyAccessible: false,
          deletionProtection: production,
          skipFinalSnapshot: !production,
          finalSnapshotIdentifier: production ? `${args.identifier}-final` : undefined,
          backupRetentionPeriod: production ? 7 : 1,
          tags,
        },
        { parent: this },
      );
      const scheme = args.engine === "postgres" ? "postgres" : "mysql";
      connection = pulumi.interpolate`${scheme}://app:${password.result}@${db.endpoint}/app`;
    } else if (args.engine === "mongodb") {
      const cluster = new aws.docdb.Cluster(
        `${name}-cluster`,
        {
          clusterIdentifier: args.identifier,
          masterUsername: "app",
          masterPassword: password.result,
          storageEncrypted: true,
          deletionProtection: production,
          skipFinalSnapshot: !production,
          finalSnapshotIdentifier: production ? `${args.identifier}-final` : undefined,
          tags,
        },
        { parent: this },
      );
      new aws.docdb.ClusterInstance(
        `${name}-instance`,
        { clusterIdentifier: cluster.id, instanceClass: args.instanceClass ?? "db.t4g.medium", identifier: `${args.identifier}-1`, tags },
        { parent: this },
      );
      connection = pulumi.interpolate`mongodb://app:${password.result}@${cluster.endpoint}:27017/?tls=true&replicaSet=rs0&retryWrites=false`;
    } else {
      const cache = new aws.elasticache.ReplicationGroup(
        `${name}-redis`,
        {
          replicationGroupId: args.identifier,
          description: `Redis for ${args.identifier}`,
          engine: "redis",
          nodeType: args.instanceClass ?? "cache.t4g.micro",
          numCacheClusters: production ? 2 : 1,
          automaticFailoverEnabled: production,
          transitEncryptionEnabled: true,
          atRestEncryptionEnabled: true,
          authToken: password.result,
          tags,
        },
        { parent: this },
      );
      connection = pulumi.interpolate`rediss://:${password.result}@${cache.primaryEndpointAddress}:6379`;
    }
    this.connectionString = pulumi.secret(connection);
    this.registerOutputs({ connectionString: this.connectionString });
  }
}
