import { describe, expect, it } from "vitest";
import type { StackSpec } from "../../src/planner/spec";
import { builderUnderMocks, installMocks, isolateEnvironment, MockSecret } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, requestIn } from "../support/specs";

// The components run in this process under Pulumi's mocks (no cloud), imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/gcp/index")).buildGcp);
isolateEnvironment(["GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT"]);

interface Template {
  serviceAccount: string;
  volumes?: { name: string; cloudSqlInstance?: { instances: string[] } }[];
  vpcAccess?: { networkInterfaces: { network: string }[]; egress: string };
  containers: { volumeMounts?: { name: string; mountPath: string }[] }[];
}

const template = () => mocks.ofType("gcp:cloudrunv2/service:Service")[0]!.inputs.template as Template;
const apiWith = (...tech: string[]) => plannedSpec(requestIn("gcp", "us-east-1", { project_id: "ledger", deployment_type: "api", tech_stack: ["Express", ...tech] }), { artifact: EXAMPLE_BUNDLE });

/** The value a secret variable's Secret Manager version holds, unwrapped (never printed by the assertions below). */
function secretValue(variable: string): string {
  const data = mocks.named(`app-secret-${variable.toLowerCase()}-value`).inputs.secretData;
  expect(data).toBeInstanceOf(MockSecret);
  return String((data as MockSecret).value);
}

describe("GCP target: the app reaches Cloud SQL through the Cloud SQL connector (Pulumi mocks)", () => {
  it("mounts the instance's socket volume under /cloudsql and lets the service's identity connect", async () => {
    await build(apiWith("PostgreSQL"));
    const instance = mocks.ofType("gcp:sql/databaseInstance:DatabaseInstance")[0]!;
    const connectionName = `mock-project:us-east1:${String(instance.inputs.name)}`;
    expect(template().volumes).toEqual([{ name: "cloudsql", cloudSqlInstance: { instances: [connectionName] } }]);
    expect(template().containers[0]!.volumeMounts).toEqual([{ name: "cloudsql", mountPath: "/cloudsql" }]);
    const client = mocks.ofType("gcp:projects/iAMMember:IAMMember");
    expect(client.map((b) => b.inputs)).toEqual([expect.objectContaining({ role: "roles/cloudsql.client", member: `serviceAccount:${template().serviceAccount}` })]);
    expect(template().serviceAccount).toMatch(/@mock-project\.iam\.gserviceaccount\.com$/);
  });

  it("keeps Cloud SQL off any authorized network: the connector reaches it with the service's IAM identity", async () => {
    await build(apiWith("PostgreSQL"));
    const settings = mocks.ofType("gcp:sql/databaseInstance:DatabaseInstance")[0]!.inputs.settings as { ipConfiguration?: { authorizedNetworks?: unknown[] } };
    expect(settings.ipConfiguration?.authorizedNetworks ?? []).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ["PostgreSQL", "DATABASE_URL", /^postgres:\/\/app:mock-password-db-postgresql-password@localhost\/app\?host=\/cloudsql\/mock-project:us-east1:ledger-staging-postgresql$/],
    ["MySQL", "MYSQL_URL", /^mysql:\/\/app:mock-password-db-mysql-password@localhost\/app\?socket=\/cloudsql\/mock-project:us-east1:ledger-staging-mysql$/],
  ])("gives the app a %s connection string over the connector's unix socket", async (tech, variable, form) => {
    await build(apiWith(tech));
    // Compared as a boolean, so a failure never prints the password.
    expect(form.test(secretValue(variable))).toBe(true);
  });

  it("connects nothing for an app without datastores", async () => {
    await build(apiWith());
    expect(template().volumes).toBeUndefined();
    expect(template().vpcAccess).toBeUndefined();
    expect(mocks.ofType("gcp:projects/iAMMember:IAMMember")).toEqual([]);
  });
});

describe("GCP target: the app reaches Memorystore through Direct VPC egress (Pulumi mocks)", () => {
  it("sends the app's private-range traffic into the network the Redis instance is authorized on", async () => {
    await build(exampleSpec("gcp-cloud-run.yaml", { artifact: EXAMPLE_BUNDLE }));
    const redis = mocks.ofType("gcp:redis/instance:Instance")[0]!;
    // Memorystore joins the project's default network when none is named (the mocks answer its full name).
    expect(redis.inputs.authorizedNetwork).toBeUndefined();
    expect(template().vpcAccess).toEqual({ networkInterfaces: [{ network: "projects/mock-project/global/networks/default" }], egress: "PRIVATE_RANGES_ONLY" });
    expect(/^rediss:\/\/:[^@]*@/.test(secretValue("REDIS_URL"))).toBe(true);
  });

  it("gives an app with Cloud SQL only no VPC egress", async () => {
    const spec: StackSpec = apiWith("PostgreSQL");
    await build(spec);
    expect(template().vpcAccess).toBeUndefined();
  });
});
