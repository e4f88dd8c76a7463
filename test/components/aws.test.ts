import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, valueOf, type RecordedResource } from "../support/mocks";
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

// The app's tests (ECS Express Mode by default, App Runner on request) are in aws-containers.test.ts, the datastores' in
// aws-datastores.test.ts.

describe("AWS target: regions", () => {
  it.each(regionSpellings("aws"))("puts every resource of a request naming $label in $expected", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn("aws", requested, { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] }), { artifact: EXAMPLE_BUNDLE });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.ofType("pulumi:providers:aws")).toHaveLength(1);
    expectAllThroughProvider(awsResources(), expected);
  });
});
