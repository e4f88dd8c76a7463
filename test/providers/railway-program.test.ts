import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, valueOf } from "../support/mocks";
import { plannedSpec, requestIn } from "../support/specs";

// The Railway target's program under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const { buildRailway } = await import("../../src/components/railway/index");

describe("Railway target program", () => {
  it("plans a request in eu-west-1 to Railway's europe-west4-drams3a and passes that region to the project", async () => {
    const spec = plannedSpec(requestIn("railway", "eu-west-1", { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] }));
    expect(spec.region).toBe("europe-west4-drams3a");
    await builderUnderMocks(mocks, buildRailway)(spec);
    const [project] = mocks.ofType("pulumi-nodejs:dynamic/railway:Project");
    expect(project?.inputs).toMatchObject({ region: "europe-west4-drams3a", datastores: [{ engine: "postgres", connectionEnv: "DATABASE_URL" }] });
  });

  it("asks for the app's public domain on the spec's port and reports it as the app's URL, the dashboard beside it", async () => {
    const spec = { ...plannedSpec(requestIn("railway", "eu-west-1", { deployment_type: "api", tech_stack: ["Express"] })), domain: "shop.example.com" };
    const outputs = await builderUnderMocks(mocks, buildRailway)(spec);
    const [project] = mocks.ofType("pulumi-nodejs:dynamic/railway:Project");
    expect(project?.inputs).toMatchObject({ targetPort: spec.build.port, customDomain: "shop.example.com" });
    expect(Object.keys(outputs.urls).sort()).toEqual(["app", "custom_domain", "dashboard"]);
    // The URL verification checks is the app's own, never the dashboard (the mocks assign no domain, so it reads as a placeholder).
    expect(await valueOf(outputs.url)).toMatch(/^https:\/\//);
    expect(await valueOf(outputs.url)).not.toBe(await valueOf(outputs.dashboardUrl));
    expect(await valueOf(outputs.urls.app)).toBe(await valueOf(outputs.url));
    expect(await valueOf(outputs.urls.custom_domain!)).toBe("https://shop.example.com");
  });
});
