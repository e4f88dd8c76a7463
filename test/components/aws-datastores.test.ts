import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, requestIn } from "../support/specs";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/aws/index")).buildAws);

/** The ports AWS's engines answer on (RDS PostgreSQL and MySQL, DocumentDB, ElastiCache for Redis). */
const ENGINE_PORTS = { postgresql: 5432, mysql: 3306, mongodb: 27017, redis: 6379 } as const;
const MOCK_SUBNETS = ["subnet-mock-a", "subnet-mock-b", "subnet-mock-c"];

/** A Node.js API on AWS with one datastore of each engine AWS hosts. */
const everyEngine = () =>
  plannedSpec(requestIn("aws", "eu-west-1", { deployment_type: "api", tech_stack: ["Express", "PostgreSQL", "MySQL", "MongoDB", "Redis"] }), { artifact: EXAMPLE_BUNDLE });

const accessGroupOf = (service: keyof typeof ENGINE_PORTS) => mocks.named(`db-${service}-access`);
const idOf = (resource: RecordedResource) => `${resource.name}-id`;

describe("AWS datastores under Pulumi's mocks: reachable from the app and from nothing else", () => {
  it("looks the default VPC and its default subnets up through the stack's provider", async () => {
    await build(everyEngine());
    const vpc = mocks.invokes.find((i) => i.token === "aws:ec2/getVpc:getVpc")!;
    expect(vpc.inputs).toMatchObject({ default: true });
    expect(vpc.provider?.inputs.region).toBe("eu-west-1");
    const subnets = mocks.invokes.find((i) => i.token === "aws:ec2/getSubnets:getSubnets")!;
    expect(subnets.inputs.filters).toEqual([
      { name: "vpc-id", values: ["vpc-mock"] },
      { name: "default-for-az", values: ["true"] },
    ]);
  });

  it.each(Object.entries(ENGINE_PORTS))("admits exactly the app's security group to %s, on port %i, in the app's VPC", async (service, port) => {
    await build(everyEngine());
    const app = mocks.named("network-app");
    const access = accessGroupOf(service as keyof typeof ENGINE_PORTS);
    expect(app.inputs.vpcId).toBe("vpc-mock");
    expect(access.inputs.vpcId).toBe("vpc-mock");
    expect(access.inputs.ingress).toEqual([{ description: "From the app", protocol: "tcp", fromPort: port, toPort: port, securityGroups: [idOf(app)] }]);
    expect(access.inputs.egress).toEqual([]);
  });

  it("puts each datastore behind its own group, in a subnet group of the shared subnets", async () => {
    await build(everyEngine());
    const subnetGroup = (type: string) => mocks.ofType(type)[0]!;
    expect(mocks.ofType("aws:rds/instance:Instance").map((db) => [db.inputs.engine, db.inputs.vpcSecurityGroupIds, db.inputs.dbSubnetGroupName])).toEqual([
      ["postgres", [idOf(accessGroupOf("postgresql"))], "regions-staging-postgresql"],
      ["mysql", [idOf(accessGroupOf("mysql"))], "regions-staging-mysql"],
    ]);
    expect(mocks.ofType("aws:docdb/cluster:Cluster")[0]?.inputs).toMatchObject({ vpcSecurityGroupIds: [idOf(accessGroupOf("mongodb"))], dbSubnetGroupName: "regions-staging-mongodb", port: 27017 });
    expect(mocks.ofType("aws:elasticache/replicationGroup:ReplicationGroup")[0]?.inputs).toMatchObject({ securityGroupIds: [idOf(accessGroupOf("redis"))], subnetGroupName: "regions-staging-redis", port: 6379 });
    for (const type of ["aws:rds/subnetGroup:SubnetGroup", "aws:docdb/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup"]) {
      expect(subnetGroup(type).inputs.subnetIds, type).toEqual(MOCK_SUBNETS);
    }
  });

  it("runs the app's tasks in the same subnets with the group the datastores admit", async () => {
    await build(everyEngine());
    const service = mocks.ofType("aws:ecs/expressGatewayService:ExpressGatewayService")[0]!;
    expect(service.inputs.networkConfigurations).toEqual([{ subnets: MOCK_SUBNETS, securityGroups: [idOf(mocks.named("network-app"))] }]);
    // The load balancer ECS Express Mode puts in front reaches the tasks from inside the VPC, on the app's port only.
    expect(mocks.named("network-app").inputs.ingress).toEqual([{ description: "From the load balancer in the VPC", protocol: "tcp", fromPort: 3000, toPort: 3000, cidrBlocks: ["172.31.0.0/16"] }]);
  });

  it("declares no network for an app without datastores, leaving ECS Express Mode its own defaults", async () => {
    await build(plannedSpec(requestIn("aws", "eu-west-1", { deployment_type: "api", tech_stack: ["Express"] }), { artifact: EXAMPLE_BUNDLE }));
    expect(mocks.ofType("aws:ec2/securityGroup:SecurityGroup")).toEqual([]);
    expect(mocks.invokes.filter((i) => i.token.startsWith("aws:ec2/"))).toEqual([]);
    expect(mocks.ofType("aws:ecs/expressGatewayService:ExpressGatewayService")[0]?.inputs.networkConfigurations).toBeUndefined();
  });
});

describe("AWS datastores under Pulumi's mocks: protection", () => {
  it("creates RDS and ElastiCache with deletion protection and encryption in production, and tags everything", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    expect(mocks.ofType("aws:rds/instance:Instance")[0]?.inputs).toMatchObject({ engine: "postgres", deletionProtection: true, storageEncrypted: true, publiclyAccessible: false });
    expect(mocks.ofType("aws:elasticache/replicationGroup:ReplicationGroup")[0]?.inputs).toMatchObject({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, numCacheClusters: 2 });
    const untaggable = ["BucketPolicy", "PublicAccessBlock", "secretVersion", "rolePolicy", "originAccessControl"];
    const awsResources = mocks.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
    for (const resource of awsResources.filter((r) => !untaggable.some((u) => r.type.includes(u)))) {
      expect(resource.inputs.tags, resource.name).toMatchObject({ "deployment-planner:project": "billing-api" });
    }
  });

  it("deletes freely outside production: no deletion protection, no final snapshot, no recovery window", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE, protect: false }));
    expect(mocks.ofType("aws:rds/instance:Instance")[0]?.inputs).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true });
    expect(mocks.ofType("aws:ecr/repository:Repository")[0]?.inputs).toMatchObject({ forceDelete: true });
    expect(mocks.ofType("aws:secretsmanager/secret:Secret").map((s) => s.inputs.recoveryWindowInDays)).toEqual([0, 0, 0, 0]);
  });
});
