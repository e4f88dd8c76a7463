import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { publishedSchemas, SCHEMA_FILES, schemaFileText } from "../../src/planner/json-schema";
import { requestSchema } from "../../src/planner/request";
import { plan } from "../../src/planner/plan";
import { stackSpecSchema } from "../../src/planner/spec";
import { briefRequest, redeployRequest } from "../support/requests";

const ROOT = path.resolve(__dirname, "..", "..");

const valid = briefRequest;

/** Requests both schemas must agree on: accepted by both, or rejected by both. */
const CORPUS: [string, unknown][] = [
  ["the brief's deployment", valid()],
  ["the brief's redeploy", redeployRequest()],
  ["every optional field", valid({ source: "./app", target: "vercel", domain: "app.example.com", env: { A: "1" }, secrets: { B: "env:B" }, resources: { memory_mb: 512, instances: 2 }, rollout: "all_at_once", public: false, ttl_hours: 24, version_name: "v1", deployer_id: "d" })],
  ["a canary rollout object", valid({ rollout: { strategy: "canary", steps: [10, 100], step_interval_seconds: 60 } })],
  ["canary shorthand", valid({ rollout: "canary" })],
  ["an environment name suffix", valid({ environment: { ENV: "preview", NAME: "pr-42" } })],
  ["no REGION", valid({ environment: { ENV: "staging" } })],
  ["a missing project_id", { deployment_type: "api", tech_stack: ["Go"], environment: { ENV: "staging" } }],
  ["a project id with a slash", valid({ project_id: "a/b" })],
  ["a project id with ..", valid({ project_id: ".." })],
  ["a project id with a space", valid({ project_id: "a b" })],
  ["a 64-character project id", valid({ project_id: "a".repeat(64) })],
  ["an unknown deployment_type", valid({ deployment_type: "serverless" })],
  ["an unknown ENV", valid({ environment: { ENV: "prod" } })],
  // Region names are checked against the catalog by the planner, not by the schema (see request.ts).
  ["an unknown but well-formed REGION", valid({ environment: { ENV: "production", REGION: "moon-1" } })],
  ["a target's own REGION code", valid({ environment: { ENV: "production", REGION: "fra1" } })],
  ["a REGION with a space", valid({ environment: { ENV: "production", REGION: "eu west" } })],
  ["an unknown field", valid({ colour: "blue" })],
  ["an unknown environment field", valid({ environment: { ENV: "production", ZONE: "a" } })],
  ["tech_stack as a string", valid({ tech_stack: "Next.js" })],
  ["an empty tech_stack", valid({ tech_stack: [] })],
  ["a number as user_id", valid({ user_id: 7 })],
  ["a secret that is not a reference", valid({ secrets: { STRIPE_SECRET_KEY: "sk_live_abc" } })],
  ["a bad env variable name", valid({ env: { "1BAD": "x" } })],
  ["an unknown target", valid({ target: "heroku" })],
  ["a domain that is not a host name", valid({ domain: "not a domain" })],
  ["zero memory", valid({ resources: { memory_mb: 0 } })],
  ["an unknown rollout", valid({ rollout: "blue_green" })],
  ["a redeploy without version_name", redeployRequest({ version_name: undefined })],
  ["a redeploy with an extra field", redeployRequest({ force: true })],
  ["null", null],
  ["an array", [valid()]],
];

describe("published JSON Schemas", () => {
  it("match what the zod schemas generate (run `npm run schemas` after changing them)", () => {
    const generated = publishedSchemas();
    for (const [name, file] of Object.entries(SCHEMA_FILES) as [keyof typeof SCHEMA_FILES, string][]) {
      expect(readFileSync(path.join(ROOT, file), "utf8"), file).toBe(schemaFileText(generated[name]));
    }
  });

  it("are valid JSON Schema 2020-12 documents that ajv compiles", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const file of Object.values(SCHEMA_FILES)) {
      expect(() => ajv.compile(JSON.parse(readFileSync(path.join(ROOT, file), "utf8")))).not.toThrow();
    }
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validateRequest = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, SCHEMA_FILES.request), "utf8")));
  it.each(CORPUS)("agree with zod on %s", (_name, document) => {
    const byZod = requestSchema.safeParse(document).success;
    const byAjv = validateRequest(document) as boolean;
    expect(byAjv).toBe(byZod);
  });

  it("accept every spec the planner produces", () => {
    const validateSpec = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, SCHEMA_FILES.spec), "utf8")));
    const planned = plan(valid());
    if (planned.status !== "planned") throw new Error(JSON.stringify(planned));
    expect(validateSpec(planned.spec), JSON.stringify(validateSpec.errors)).toBe(true);
    expect(stackSpecSchema.safeParse(planned.spec).success).toBe(true);
  });

  it("leave out only the refinements zod applies on top (canary steps must increase and end at 100)", () => {
    const document = valid({ rollout: { strategy: "canary", steps: [50, 10] } });
    expect(validateRequest(document)).toBe(true);
    expect(requestSchema.safeParse(document).success).toBe(false);
  });
});
