import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks } from "../support/mocks";
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
});
