import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, isolateEnvironment, MockSecret, valueOf, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/gcp/index")).buildGcp);
isolateEnvironment(["GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT"]);

const gcpResources = () => mocks.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));

function expectAllThroughProvider(resources: readonly RecordedResource[], expected: Record<string, unknown>): void {
  expect(resources.length).toBeGreaterThan(0);
  for (const resource of resources) {
    expect(resource.provider?.type, resource.name).toBe("pulumi:providers:gcp");
    expect(resource.provider?.inputs, resource.name).toMatchObject(expected);
  }
}

const cloudRun = (overrides: Partial<StackSpec> = {}) => exampleSpec("gcp-cloud-run.yaml", { artifact: EXAMPLE_BUNDLE, ...overrides });

describe("GCP target: one explicit provider", () => {
  it("puts every GCP resource and invoke through one provider in the spec's project and region", async () => {
    await build(cloudRun({ target_settings: { gcp_project: "acme-prod-123", vercel_team: null, docker_host: null } }));
    expect(mocks.ofType("pulumi:providers:gcp")).toHaveLength(1);
    expectAllThroughProvider(gcpResources(), { project: "acme-prod-123", region: "us-east1" });
    const config = mocks.invokes.find((i) => i.token === "gcp:organizations/getClientConfig:getClientConfig");
    expect(config?.provider?.inputs).toMatchObject({ project: "acme-prod-123", region: "us-east1" });
  });

  it("takes the project from GOOGLE_PROJECT, else GOOGLE_CLOUD_PROJECT, when the spec names none", async () => {
    process.env.GOOGLE_CLOUD_PROJECT = "from-cloud-project";
    await build(cloudRun());
    expect(mocks.ofType("pulumi:providers:gcp")[0]?.inputs.project).toBe("from-cloud-project");
    process.env.GOOGLE_PROJECT = "from-google-project";
    await build(cloudRun());
    expect(mocks.ofType("pulumi:providers:gcp")[0]?.inputs.project).toBe("from-google-project");
  });
});

describe("GCP target: container service", () => {
  it("runs Cloud Run with secrets by reference to Secret Manager and no public invoker for a private service", async () => {
    await build(cloudRun());
    const service = mocks.ofType("gcp:cloudrunv2/service:Service")[0]!;
    const container = (service.inputs.template as { containers: { envs: { name: string; value?: string; valueSource?: unknown }[] }[] }).containers[0]!;
    const byName = Object.fromEntries(container.envs.map((e) => [e.name, e]));
    for (const name of ["OPENAI_API_KEY", "DATABASE_URL", "REDIS_URL"]) {
      expect(byName[name]?.valueSource, name).toMatchObject({ secretKeyRef: {} });
      expect(byName[name]?.value, name).toBeUndefined();
    }
    expect(service.inputs.template).toMatchObject({ scaling: { minInstanceCount: 2, maxInstanceCount: 10 } });
    expect(mocks.ofType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")).toEqual([]);
    for (const version of mocks.ofType("gcp:secretmanager/secretVersion:SecretVersion")) expect(version.inputs.secretData, version.name).toBeInstanceOf(MockSecret);
  });

  it("grants the public invoker only when the spec is public", async () => {
    await build(cloudRun({ public: true }));
    expect(mocks.ofType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")[0]?.inputs).toMatchObject({ role: "roles/run.invoker", member: "allUsers" });
  });

  it("pushes the image to the region's Artifact Registry with the mocked access token", async () => {
    await build(cloudRun());
    const image = mocks.ofType("docker:index/image:Image")[0]!;
    expect(image.inputs.registry).toEqual(new MockSecret({ server: "us-east1-docker.pkg.dev", username: "oauth2accesstoken", password: "mock-gcp-access-token" }));
  });
});

describe("GCP target: static site", () => {
  it("puts a static site in a bucket behind a load balancer with Cloud CDN", async () => {
    const outputs = await build(exampleSpec("aws-static-site.json", { target: "gcp", region: "us-east1", artifact: null }));
    expect(mocks.ofType("gcp:compute/backendBucket:BackendBucket")[0]?.inputs).toMatchObject({ enableCdn: true });
    expect(mocks.ofType("gcp:compute/managedSslCertificate:ManagedSslCertificate")[0]?.inputs).toMatchObject({ managed: { domains: ["www.example.com"] } });
    expect(mocks.ofType("gcp:storage/bucket:Bucket")[0]?.inputs).toMatchObject({ uniformBucketLevelAccess: true, forceDestroy: false, location: "US" });
    expectAllThroughProvider(gcpResources(), { region: "us-east1" });
    expect(await valueOf(outputs.url)).toBe("https://www.example.com");
  });
});

describe("GCP target: regions", () => {
  it.each(regionSpellings("gcp"))("puts every resource of a request naming $label in $expected", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn("gcp", requested, { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] }), { artifact: EXAMPLE_BUNDLE });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.ofType("pulumi:providers:gcp")).toHaveLength(1);
    expectAllThroughProvider(gcpResources(), { region: expected });
    expect(mocks.ofType("gcp:cloudrunv2/service:Service")[0]?.inputs.location).toBe(expected);
  });
});
