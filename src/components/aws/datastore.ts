import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatastoreNetwork } from "./network";

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
  /**
   * The network shared with the app: the datastore is placed in its subnets behind a security group that admits only
   * the app's group, on the engine's port. @default the default VPC's default subnets and security group
   */
  readonly network?: DatastoreNetwork;
}

/** The port each engine answers on: RDS PostgreSQL and MySQL, DocumentDB, ElastiCache for Redis. */
export const ENGINE_PORTS: Readonly<Record<DatastoreArgs["engine"], number>> = { postgres: 5432, mysql: 3306, mongodb: 27017, redis: 6379 };

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
    const placement = args.network ? this.createPlacement(name, args, args.network, tags) : undefined;
    let connection: pulumi.Output<string>;
    if (args.engine === "postgres" || args.engine === "mysql") {
      const subnetGroup = placement && new aws.rds.SubnetGroup(`${name}-subnets`, { name: args.identifier, subnetIds: placement.subnetIds, tags }, { parent: this });
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
          port: ENGINE_PORTS[args.engine],
          dbSubnetGroupName: subnetGroup?.name,
          vpcSecurityGroupIds: placement?.securityGroupIds,
          tags,
        },
        { parent: this },
      );
      const scheme = args.engine === "postgres" ? "postgres" : "mysql";
      connection = pulumi.interpolate`${scheme}://app:${password.result}@${db.endpoint}/app`;
    } else if (args.engine === "mongodb") {
      const subnetGroup = placement && new aws.docdb.SubnetGroup(`${name}-subnets`, { name: args.identifier, subnetIds: placement.subnetIds, tags }, { parent: this });
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
          port: ENGINE_PORTS.mongodb,
          dbSubnetGroupName: subnetGroup?.name,
          vpcSecurityGroupIds: placement?.securityGroupIds,
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
      const subnetGroup = placement && new aws.elasticache.SubnetGroup(`${name}-subnets`, { name: args.identifier, subnetIds: placement.subnetIds, tags }, { parent: this });
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
          port: ENGINE_PORTS.redis,
          subnetGroupName: subnetGroup?.name,
          securityGroupIds: placement?.securityGroupIds,
          tags,
        },
        { parent: this },
      );
      connection = pulumi.interpolate`rediss://:${password.result}@${cache.primaryEndpointAddress}:6379`;
    }
    this.connectionString = pulumi.secret(connection);
    this.registerOutputs({ connectionString: this.connectionString });
  }

  /** The datastore's own security group, admitting only the app's group on the engine's port, in the shared subnets. */
  private createPlacement(name: string, args: DatastoreArgs, network: DatastoreNetwork, tags: Record<string, string>) {
    const port = ENGINE_PORTS[args.engine];
    const group = new aws.ec2.SecurityGroup(
      `${name}-access`,
      {
        name: `${args.identifier}-access`,
        description: `Admits the app only, on ${args.engine}'s port ${port}`,
        vpcId: network.vpcId,
        ingress: [{ description: "From the app", protocol: "tcp", fromPort: port, toPort: port, securityGroups: [network.appSecurityGroupId] }],
        // Answers go back through the stateful ingress rule; the datastore opens no connections of its own.
        egress: [],
        tags,
      },
      { parent: this },
    );
    return { subnetIds: network.subnetIds, securityGroupIds: [group.id] };
  }
}
