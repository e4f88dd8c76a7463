import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, MockSecret, valueOf, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/aws/index")).buildAws);

const awsResources = () => mocks.resources.filter((r) => r.custom && r.type.startsWith("aws:"));

function expectAllThroughProvider(resources: readonly RecordedResource[], region: string): void {
  expect(resources.length).toBeGreaterThan(0);
  for (const resource of resources) {
    expect(resource.provider?.type, resource.name).toBe("pulumi:providers:aws");
    expect(resource.provider?.inputs.region, resource.name).toBe(region);
  }
}

describe("AWS target: one explicit provider", () => {
  it("creates exactly one AWS provider, in the spec's region, and every AWS resource and invoke goes through it", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const providers = mocks.ofType("pulumi:providers:aws");
    expect(providers).toHaveLength(1);
    expect(providers[0]!.inputs.region).toBe("eu-west-1");
    expectAllThroughProvider(awsResources(), "eu-west-1");
    const token = mocks.invokes.find((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken");
    expect(token?.provider?.inputs.region).toBe("eu-west-1");
  });

  it("leaves the datastore passwords to the default random provider", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const passwords = mocks.ofType("random:index/randomPassword:RandomPassword");
    expect(passwords.map((p) => p.name)).toEqual(["db-postgresql-password", "db-redis-password"]);
    expect(passwords.every((p) => p.provider === null)).toBe(true);
  });
});

// The static site's tests are in aws-static-site.test.ts.

describe("AWS target: container service", () => {
  it("runs App Runner with secrets referenced from Secrets Manager, never as plain variables", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const service = mocks.ofType("aws:apprunner/service:Service")[0]!;
    const imageConfiguration = (service.inputs.sourceConfiguration as { imageRepository: { imageConfiguration: Record<string, Record<string, unknown>> } })
      .imageRepository.imageConfiguration;
    expect(Object.keys(imageConfiguration.runtimeEnvironmentSecrets!).sort()).toEqual(["DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
    expect(imageConfiguration.runtimeEnvironmentVariables).toEqual({ STRIPE_PUBLISHABLE_KEY: "pk_live_billing" });
    const versions = mocks.ofType("aws:secretsmanager/secretVersion:SecretVersion");
    expect(versions).toHaveLength(4);
    for (const version of versions) expect(version.inputs.secretString, version.name).toBeInstanceOf(MockSecret);
  });

  it("logs in to ECR with the mocked authorization token for the image push", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const image = mocks.ofType("docker:index/image:Image")[0]!;
    expect(image.inputs.build).toEqual({ context: EXAMPLE_BUNDLE.path, platform: "linux/amd64" });
    // The registry block holds the password, so all of it is a secret.
    expect(image.inputs.registry).toEqual(new MockSecret({ username: "AWS", password: "mock-ecr-password" }));
  });

  it("creates RDS and ElastiCache with deletion protection and encryption in production, and tags everything", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    expect(mocks.ofType("aws:rds/instance:Instance")[0]?.inputs).toMatchObject({ engine: "postgres", deletionProtection: true, storageEncrypted: true, publiclyAccessible: false });
    expect(mocks.ofType("aws:elasticache/replicationGroup:ReplicationGroup")[0]?.inputs).toMatchObject({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, numCacheClusters: 2 });
    const untaggable = ["BucketPolicy", "PublicAccessBlock", "secretVersion", "rolePolicy", "originAccessControl"];
    for (const resource of awsResources().filter((r) => !untaggable.some((u) => r.type.includes(u)))) {
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

describe("AWS target: regions", () => {
  it.each(regionSpellings("aws"))("puts every resource of a request naming $label in $expected", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn("aws", requested, { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] }), { artifact: EXAMPLE_BUNDLE });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.ofType("pulumi:providers:aws")).toHaveLength(1);
    expectAllThroughProvider(awsResources(), expected);
  });
});
