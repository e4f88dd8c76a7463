import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, isolateEnvironment, MockSecret, valueOf } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/vercel/index")).buildVercel);
isolateEnvironment(["VERCEL_TEAM", "VERCEL_API_TOKEN"]);

const vercelResources = () => mocks.resources.filter((r) => r.custom && r.type.startsWith("vercel:"));
const saas = (overrides: Partial<StackSpec> = {}) => exampleSpec("vercel-nextjs-saas.json", { artifact: EXAMPLE_BUNDLE, ...overrides });
const TEAM = (team: string | null) => ({ gcp_project: null, vercel_team: team, docker_host: null });

describe("Vercel target: one explicit provider", () => {
  it("puts every Vercel resource and the directory listing through one provider for the spec's team", async () => {
    await build(saas({ target_settings: TEAM("acme") }));
    expect(mocks.ofType("pulumi:providers:vercel")).toHaveLength(1);
    for (const resource of vercelResources()) expect(resource.provider?.inputs.team, resource.name).toBe("acme");
    const listing = mocks.invokes.find((i) => i.token === "vercel:index/getProjectDirectory:getProjectDirectory");
    expect(listing?.provider?.inputs.team).toBe("acme");
  });

  it("takes the team from VERCEL_TEAM when the spec names none, and the API token from VERCEL_API_TOKEN as a secret", async () => {
    process.env.VERCEL_TEAM = "from-env";
    process.env.VERCEL_API_TOKEN = "token-from-env";
    await build(saas());
    expect(mocks.ofType("pulumi:providers:vercel")[0]?.inputs).toMatchObject({ team: "from-env", apiToken: new MockSecret("token-from-env") });
  });

  it("leaves the team unset (the token's own account) when neither the spec nor VERCEL_TEAM names one", async () => {
    await build(saas());
    const provider = mocks.ofType("pulumi:providers:vercel")[0]!;
    expect(provider.inputs.team).toBeUndefined();
    expect(vercelResources().every((r) => r.provider === provider)).toBe(true);
  });
});

describe("Vercel target: project", () => {
  it("declares a project in the mapped region, one variable per env var and secret, a deployment and the domain", async () => {
    const spec = saas();
    const outputs = await build(spec);
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs).toMatchObject({
      name: "mycourse-production",
      framework: "nextjs",
      resourceConfig: { functionDefaultRegions: ["fra1"] },
    });
    const variables = mocks.ofType("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    expect(variables).toHaveLength(Object.keys(spec.env).length + spec.secrets.length);
    expect(variables.every((v) => JSON.stringify(v.inputs.targets) === '["production"]')).toBe(true);
    expect(mocks.ofType("vercel:index/deployment:Deployment")[0]?.inputs).toMatchObject({ production: true, files: {} });
    expect(mocks.ofType("vercel:index/projectDomain:ProjectDomain")[0]?.inputs).toMatchObject({ domain: "mycourse.example.com" });
    expect(await valueOf(outputs.url)).toBe("https://mycourse.example.com");
  });

  it("marks every variable that holds a secret as sensitive and keeps its value secret", async () => {
    const spec = saas();
    await build(spec);
    const variables = mocks.ofType("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    for (const secret of spec.secrets) {
      const variable = variables.find((v) => v.inputs.key === secret.name);
      expect(variable?.inputs, secret.name).toMatchObject({ sensitive: true, value: new MockSecret(`value-of-${secret.name}`) });
    }
  });

  it("scopes a preview environment's variables to Vercel's preview environment", async () => {
    await build(exampleSpec("preview-pr.json", { artifact: EXAMPLE_BUNDLE }));
    const variables = mocks.ofType("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    expect(variables.length).toBeGreaterThan(0);
    expect(variables.every((v) => JSON.stringify(v.inputs.targets) === '["preview"]')).toBe(true);
    expect(mocks.ofType("vercel:index/deployment:Deployment")[0]?.inputs).toMatchObject({ production: false });
  });
});

describe("Vercel target: build settings", () => {
  it("leaves the output directory to the framework's preset, and tells it only to Vercel's Other", async () => {
    const angular = plannedSpec(requestIn("vercel", null, { deployment_type: "cloud_saas", tech_stack: ["Angular"] }), { artifact: EXAMPLE_BUNDLE });
    expect(angular.build.output_dir).toBe("dist");
    await build(angular);
    // Angular writes dist/<app>/browser, which the preset finds and the catalog's generic "dist" would hide.
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs).toMatchObject({ framework: "angular", buildCommand: "npm run build" });
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs.outputDirectory).toBeUndefined();

    await build({ ...angular, build: { ...angular.build, framework: null, output_dir: "site" } });
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs.framework).toBeUndefined();
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs.outputDirectory).toBe("site");
  });
});

describe("Vercel target: regions", () => {
  it.each(regionSpellings("vercel"))("runs the functions of a request naming $label in $expected", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn("vercel", requested, { deployment_type: "cloud_saas", tech_stack: ["Next.js"], target_settings: { vercel_team: "acme" } }), {
      artifact: EXAMPLE_BUNDLE,
    });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.ofType("vercel:index/project:Project")[0]?.inputs.resourceConfig).toEqual({ functionDefaultRegions: [expected] });
    for (const resource of vercelResources()) expect(resource.provider?.inputs.team, resource.name).toBe("acme");
  });
});
