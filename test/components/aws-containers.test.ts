import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_TIERS, type StackSpec } from "../../src/planner/spec";
import { isAppRunnerSize, isEcsExpressSize } from "../support/aws";
import { builderUnderMocks, installMocks, MockSecret, valueOf, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, requestIn } from "../support/specs";

// The AWS managed policies each role needs (ECS developer guide: task execution role, infrastructure role for Express
// Mode; App Runner developer guide: ECR access role).
const TASK_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const EXPRESS_INFRASTRUCTURE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices";
const APP_RUNNER_ECR_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSAppRunnerServicePolicyForECRAccess";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/aws/index")).buildAws);

/** A Node.js API with PostgreSQL on AWS in `tier`, packaged as the example server (which has no Dockerfile). */
function nodeApi(tier: string = "production", settings: Record<string, string> = {}, overrides: Partial<StackSpec> = {}): StackSpec {
  const request = requestIn("aws", "eu-west-1", { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"], environment: { ENV: tier, REGION: "eu-west-1" }, target_settings: settings });
  return plannedSpec(request, { artifact: EXAMPLE_BUNDLE, ...overrides });
}

const one = (type: string): RecordedResource => {
  const found = mocks.ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const express = () => one("aws:ecs/expressGatewayService:ExpressGatewayService");
const appRunner = () => one("aws:apprunner/service:Service");
const roleTrusting = (principal: string) => mocks.ofType("aws:iam/role:Role").find((r) => String(r.inputs.assumeRolePolicy).includes(`"Service":"${principal}"`));
const attachmentsOf = (role: RecordedResource) => mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith(`${role.name}-`));

describe("AWS container service under Pulumi's mocks: ECS Express Mode by default", () => {
  it("runs the app on ECS Express Mode, not App Runner, with a task size Fargate accepts", async () => {
    const outputs = await build(nodeApi());
    expect(mocks.ofType("aws:apprunner/service:Service")).toEqual([]);
    const { cpu, memory } = express().inputs as { cpu: string; memory: string };
    expect(isEcsExpressSize(cpu, memory), `${cpu}/${memory}`).toBe(true);
    expect(express().inputs).toMatchObject({ healthCheckPath: "/", waitForSteadyState: true, primaryContainer: { containerPort: 3000 } });
    expect(await valueOf(outputs.url)).toBe("https://regions-production.ecs.mock.on.aws");
  });

  it("gives the service an execution role and an infrastructure role, each with its AWS managed policy as an attachment", async () => {
    await build(nodeApi());
    const execution = roleTrusting("ecs-tasks.amazonaws.com")!;
    const infrastructure = roleTrusting("ecs.amazonaws.com")!;
    expect(express().inputs).toMatchObject({ executionRoleArn: `arn:aws:mock::123456789012:${execution.name}`, infrastructureRoleArn: `arn:aws:mock::123456789012:${infrastructure.name}` });
    expect(attachmentsOf(execution).map((a) => a.inputs.policyArn)).toEqual([TASK_EXECUTION_POLICY]);
    expect(attachmentsOf(infrastructure).map((a) => a.inputs.policyArn)).toEqual([EXPRESS_INFRASTRUCTURE_POLICY]);
    // Exclusive `managedPolicyArns` would leave nothing for the service to depend on.
    for (const role of mocks.ofType("aws:iam/role:Role")) expect(role.inputs.managedPolicyArns, role.name).toBeUndefined();
  });

  it("reads every secret from Secrets Manager by ARN, through the execution role, and never as a plain value", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const container = express().inputs.primaryContainer as { environments: { name: string; value: string }[]; secrets: { name: string; valueFrom: string }[] };
    const secrets = mocks.ofType("aws:secretsmanager/secret:Secret");
    const arnOf = (variable: string) => `arn:aws:mock::123456789012:${secrets.find((s) => String(s.inputs.name).endsWith(`/${variable}`))!.name}`;
    expect(container.secrets.map((s) => s.name).sort()).toEqual(["DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
    for (const secret of container.secrets) expect(secret.valueFrom, secret.name).toBe(arnOf(secret.name));
    expect(container.environments).toEqual(expect.arrayContaining([{ name: "STRIPE_PUBLISHABLE_KEY", value: "pk_live_billing" }]));
    expect(JSON.stringify(express().inputs)).not.toMatch(/value-of-|mock-password|postgres:\/\/|rediss:\/\//);
    for (const version of mocks.ofType("aws:secretsmanager/secretVersion:SecretVersion")) expect(version.inputs.secretString, version.name).toBeInstanceOf(MockSecret);
    const readPolicy = JSON.parse(String(mocks.ofType("aws:iam/rolePolicy:RolePolicy").find((p) => p.name.includes("execution"))!.inputs.policy)) as { Statement: { Action: string[]; Resource: string[] }[] };
    expect(readPolicy.Statement).toEqual([{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: expect.arrayContaining(container.secrets.map((s) => s.valueFrom)) }]);
    expect(readPolicy.Statement[0]!.Resource).toHaveLength(4);
  });

  it("creates the service only after its roles' policies, the secret values and the wait for IAM to propagate them", async () => {
    await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const grants = [...mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"), ...mocks.ofType("aws:iam/rolePolicy:RolePolicy")].map((r) => r.name);
    const versions = mocks.ofType("aws:secretsmanager/secretVersion:SecretVersion").map((r) => r.name);
    const wait = one("pulumi-nodejs:dynamic/aws:IamPropagationWait");
    expect(grants).toHaveLength(3);
    expect(express().dependsOn).toEqual(expect.arrayContaining([...grants, ...versions, wait.name]));
    expect(wait.dependsOn).toEqual(expect.arrayContaining(grants));
    expect(wait.inputs.roleArns).toEqual(expect.arrayContaining([`arn:aws:mock::123456789012:${roleTrusting("ecs-tasks.amazonaws.com")!.name}`]));
  });
});

describe("AWS container image under Pulumi's mocks", () => {
  const imageTag = () => String(one("docker:index/image:Image").inputs.imageName).split(":").at(-1);

  it("tags each release's image uniquely in an immutable repository and deploys it by digest", async () => {
    await build(nodeApi());
    expect(one("aws:ecr/repository:Repository").inputs).toMatchObject({ imageTagMutability: "IMMUTABLE" });
    const first = imageTag();
    expect((express().inputs.primaryContainer as { image: string }).image).toMatch(/^123456789012\.dkr\.ecr\.mock\.amazonaws\.com\/[a-z0-9-]+@sha256:[0-9a-f]{64}$/);
    await build(nodeApi());
    expect(imageTag(), "the same bundle again").toBe(first);
    await build(nodeApi("production", {}, { artifact: { ...EXAMPLE_BUNDLE, digest: `sha256:${"e".repeat(64)}` } }));
    expect(imageTag(), "another bundle").not.toBe(first);
    expect(first).not.toBe(String(express().inputs.serviceName));
  });

  it("builds a Node.js bundle without a Dockerfile from a generated one, outside the bundle", async () => {
    expect(existsSync(path.join(EXAMPLE_BUNDLE.path, "Dockerfile"))).toBe(false);
    await build(nodeApi());
    const { build: imageBuild } = one("docker:index/image:Image").inputs as { build: { context: string; dockerfile: string; platform: string } };
    expect(imageBuild).toMatchObject({ context: EXAMPLE_BUNDLE.path, platform: "linux/amd64" });
    expect(path.dirname(imageBuild.dockerfile)).not.toBe(EXAMPLE_BUNDLE.path);
    const dockerfile = readFileSync(imageBuild.dockerfile, "utf8");
    expect(dockerfile).toMatch(/^FROM node:/);
    expect(dockerfile).toContain("EXPOSE 3000");
  });

  it("logs in to ECR with the mocked authorization token, keeping the whole registry block secret", async () => {
    await build(nodeApi());
    expect(one("docker:index/image:Image").inputs.registry).toEqual(new MockSecret({ server: "123456789012.dkr.ecr.mock.amazonaws.com/regions-production", username: "AWS", password: "mock-ecr-password" }));
  });
});

describe("AWS container sizes under Pulumi's mocks, checked against the vendors' tables", () => {
  it.each(ENVIRONMENT_TIERS.flatMap((tier) => [["ecs_express", tier], ["app_runner", tier]] as const))("%s runs the %s tier's default size as a size it accepts", async (service, tier) => {
    await build(nodeApi(tier, { aws_container_service: service }));
    if (service === "ecs_express") {
      const { cpu, memory } = express().inputs as { cpu: string; memory: string };
      expect(isEcsExpressSize(cpu, memory), `${cpu}/${memory}`).toBe(true);
    } else {
      const { cpu, memory } = appRunner().inputs.instanceConfiguration as { cpu: string; memory: string };
      expect(isAppRunnerSize(cpu, memory), `${cpu}/${memory}`).toBe(true);
    }
  });

  it("runs the AWS example's requested size on both services", async () => {
    for (const service of ["ecs_express", "app_runner"] as const) {
      await build(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE, target_settings: { gcp_project: null, vercel_team: null, docker_host: null, aws_container_service: service } }));
      const { cpu, memory } = (service === "ecs_express" ? express().inputs : appRunner().inputs.instanceConfiguration) as { cpu: string; memory: string };
      expect((service === "ecs_express" ? isEcsExpressSize : isAppRunnerSize)(cpu, memory), `${service} ${cpu}/${memory}`).toBe(true);
    }
  });

  it("rounds up a stored spec's size that the service does not take (planned before sizes were rounded)", async () => {
    const spec = nodeApi("staging", { aws_container_service: "app_runner" });
    await build({ ...spec, resources: { ...spec.resources, cpu: 0.5, memory_mb: 512 } });
    expect(appRunner().inputs.instanceConfiguration).toMatchObject({ cpu: "512", memory: "1024" });
  });
});

describe("AWS App Runner under Pulumi's mocks, only when the request chose it", () => {
  it("runs App Runner with the ECR access role's managed policy and the instance role reading the secrets", async () => {
    await build(nodeApi("production", { aws_container_service: "app_runner" }));
    expect(mocks.ofType("aws:ecs/expressGatewayService:ExpressGatewayService")).toEqual([]);
    const access = roleTrusting("build.apprunner.amazonaws.com")!;
    expect(attachmentsOf(access).map((a) => a.inputs.policyArn)).toEqual([APP_RUNNER_ECR_ACCESS_POLICY]);
    expect(appRunner().inputs).toMatchObject({ sourceConfiguration: { authenticationConfiguration: { accessRoleArn: `arn:aws:mock::123456789012:${access.name}` } } });
    const image = (appRunner().inputs.sourceConfiguration as { imageRepository: { imageIdentifier: string; imageConfiguration: { runtimeEnvironmentSecrets: Record<string, string> } } }).imageRepository;
    expect(image.imageIdentifier).toContain("@sha256:");
    expect(Object.keys(image.imageConfiguration.runtimeEnvironmentSecrets)).toEqual(["DATABASE_URL"]);
    const grants = [...mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"), ...mocks.ofType("aws:iam/rolePolicy:RolePolicy")].map((r) => r.name);
    expect(appRunner().dependsOn).toEqual(expect.arrayContaining([...grants, one("pulumi-nodejs:dynamic/aws:IamPropagationWait").name]));
  });

  it("reaches the datastores through a VPC connector in the shared subnets with the app's security group", async () => {
    await build(nodeApi("production", { aws_container_service: "app_runner" }));
    const connector = one("aws:apprunner/vpcConnector:VpcConnector");
    expect(connector.inputs).toMatchObject({ subnets: ["subnet-mock-a", "subnet-mock-b", "subnet-mock-c"], securityGroups: ["network-app-id"] });
    expect(appRunner().inputs.networkConfiguration).toEqual({ egressConfiguration: { egressType: "VPC", vpcConnectorArn: `arn:aws:mock::123456789012:${connector.name}` } });
    // The connector only sends traffic out; nothing is admitted to the app's group.
    expect(mocks.named("network-app").inputs.ingress ?? []).toEqual([]);
  });
});
