import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Type token of the component. */
export const AWS_NETWORK_TYPE = "planner:aws:Network";

/** Arguments of `Network`. */
export interface NetworkArgs {
  /** Name prefix of the security groups (`<prefix>-app`). */
  readonly namePrefix: string;
  /**
   * Port the app's tasks listen on, opened to the rest of the VPC for the load balancer in front of them (ECS Express
   * Mode). @default nothing admitted: an App Runner VPC connector only sends traffic out
   */
  readonly appPort?: number;
  /** Tags put on every resource. */
  readonly tags: Readonly<Record<string, string>>;
}

/** What a datastore needs of the network to admit the app and nothing else. */
export interface DatastoreNetwork {
  /** The VPC the app and the datastores share. */
  readonly vpcId: pulumi.Output<string>;
  /** The subnets datastores are placed in and the app sends its traffic from (one per Availability Zone). */
  readonly subnetIds: pulumi.Output<string[]>;
  /** The app's security group: the only source a datastore's security group admits. */
  readonly appSecurityGroupId: pulumi.Output<string>;
}

/**
 * The network the app and its datastores share: the account's default VPC in the stack's Region and its default
 * subnets (looked up through the stack's AWS provider), and a security group for the app. Each datastore gets its own
 * security group admitting only this app group on its engine's port, so RDS, DocumentDB and ElastiCache, which answer
 * only inside the VPC, are reachable from the app and from nothing else. The app's group allows all outbound traffic
 * (image pulls, the datastores, the internet where the subnets route to it).
 */
export class Network extends pulumi.ComponentResource implements DatastoreNetwork {
  public readonly vpcId: pulumi.Output<string>;
  public readonly subnetIds: pulumi.Output<string[]>;
  public readonly appSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_NETWORK_TYPE, name, {}, opts);
    const vpc = aws.ec2.getVpcOutput({ default: true }, { parent: this });
    // The default subnets are one per Availability Zone, so datastores and the app's tasks can spread across zones.
    const subnets = aws.ec2.getSubnetsOutput(
      {
        filters: [
          { name: "vpc-id", values: [vpc.id] },
          { name: "default-for-az", values: ["true"] },
        ],
      },
      { parent: this },
    );
    const appGroup = new aws.ec2.SecurityGroup(
      `${name}-app`,
      {
        name: `${args.namePrefix}-app`,
        description: "The app's tasks: the datastores admit this group only",
        vpcId: vpc.id,
        ingress:
          args.appPort === undefined
            ? []
            : [{ description: "From the load balancer in the VPC", protocol: "tcp", fromPort: args.appPort, toPort: args.appPort, cidrBlocks: [vpc.cidrBlock] }],
        egress: [{ description: "Everything outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        tags: { ...args.tags },
      },
      { parent: this },
    );
    this.vpcId = vpc.id;
    this.subnetIds = subnets.ids;
    this.appSecurityGroupId = appGroup.id;
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds, appSecurityGroupId: this.appSecurityGroupId });
  }
}
