import path from "node:path";
import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, MockSecret } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";
import type { StackSpec, Target } from "../../src/planner/spec";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place. The local,
// Netlify and Railway targets go through this package's own dynamic providers, so they have no provider to configure.
const mocks = installMocks();
const { TARGET_BUILDERS } = await import("../../src/components/registry");

/** Builds a spec's target as the program does, and waits for every registration. */
const build = async (spec: StackSpec) => builderUnderMocks(mocks, await TARGET_BUILDERS[spec.target]())(spec);

describe("Netlify target", () => {
  it("declares one site resource with the domain, plain variables, secret variables kept secret and the built directory", async () => {
    await build(
      exampleSpec("netlify-astro-site.json", {
        artifact: EXAMPLE_BUNDLE,
        env: { PUBLIC_API: "https://api.example.com" },
        secrets: [{ name: "SENTRY_DSN", ref: "env:SENTRY_DSN", required_by: ["request"] }],
      }),
    );
    const [site] = mocks.ofType("pulumi-nodejs:dynamic/netlify:Site");
    expect(site?.inputs).toMatchObject({
      name: "docs-site-production",
      customDomain: "docs.example.org",
      env: { PUBLIC_API: "https://api.example.com" },
      bundlePath: path.join(EXAMPLE_BUNDLE.path, "dist"),
    });
    expect(site?.inputs.secretEnv).toEqual(new MockSecret({ SENTRY_DSN: "value-of-SENTRY_DSN" }));
  });
});

describe("Railway target", () => {
  it("declares one project with its datastores, plain variables and secret variables kept secret", async () => {
    await build(exampleSpec("railway-fullstack.json"));
    const [project] = mocks.ofType("pulumi-nodejs:dynamic/railway:Project");
    expect(project?.inputs).toMatchObject({
      name: "crm-app-staging",
      environment: "staging",
      datastores: [
        { engine: "postgres", connectionEnv: "DATABASE_URL" },
        { engine: "redis", connectionEnv: "REDIS_URL" },
      ],
      env: { PORT: "3000", SENDGRID_FROM_EMAIL: "noreply@example.com" },
    });
    expect(project?.inputs.secretEnv).toBeInstanceOf(MockSecret);
  });
});

describe("local target", () => {
  it("declares the endpoint and a release of the bundle with its secret variables kept secret", async () => {
    await build(exampleSpec("local-node-server.json", { artifact: EXAMPLE_BUNDLE }));
    expect(mocks.resources.map((r) => [r.type, r.name])).toEqual([
      ["planner:local:LocalApp", "app"],
      ["pulumi-nodejs:dynamic/local:Endpoint", "app-endpoint"],
      ["pulumi-nodejs:dynamic/local:Release", "app-release"],
    ]);
    expect(mocks.named("app-release").inputs).toMatchObject({ command: "npm start", env: { GREETING: "hello" }, healthPath: "/", secretEnv: new MockSecret({ API_TOKEN: "value-of-API_TOKEN" }) });
  });
});

/** A request each of these targets hosts. */
const REQUESTS: Record<"local" | "netlify" | "railway", Record<string, unknown>> = {
  local: { deployment_type: "api", tech_stack: ["Node.js"] },
  netlify: { deployment_type: "static_site", tech_stack: ["Astro"] },
  railway: { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] },
};

describe.each(Object.keys(REQUESTS) as (keyof typeof REQUESTS)[])("%s target: regions", (target: Target & keyof typeof REQUESTS) => {
  it.each(regionSpellings(target))("plans a request naming $label to $expected and builds it", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn(target, requested, REQUESTS[target]), { artifact: EXAMPLE_BUNDLE });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.resources.some((r) => r.custom)).toBe(true);
    // The package's own dynamic providers need no region: nothing goes through an explicit provider.
    expect(mocks.resources.every((r) => r.provider === null)).toBe(true);
  });
});
