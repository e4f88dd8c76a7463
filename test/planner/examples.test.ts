import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAILURE_STAGES, isFailure } from "../../src/outcome";
import { parseRequestText } from "../../src/planner/input";
import { plan } from "../../src/planner/plan";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLES = path.join(ROOT, "examples", "requests");

/** What each example must plan to: a target, or a redeploy. */
const EXPECTED: Record<string, string> = {
  "aws-container-api.json": "aws",
  "aws-static-site.json": "aws",
  "brief-cloud-saas.json": "vercel",
  "brief-missing-secret.json": "local",
  "brief-redeploy.json": "redeploy",
  "docker-fullstack.yaml": "docker",
  "gcp-cloud-run.yaml": "gcp",
  "local-node-server.json": "local",
  "local-static-site.json": "local",
  "netlify-astro-site.json": "netlify",
  "preview-pr.json": "vercel",
  "railway-fullstack.json": "railway",
  "vercel-nextjs-saas.json": "vercel",
};

describe("example requests", () => {
  const files = readdirSync(EXAMPLES).sort();

  it("has an expectation for every example, and one example per target at least", () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    for (const target of ["local", "docker", "vercel", "netlify", "railway", "aws", "gcp"]) {
      expect(Object.values(EXPECTED)).toContain(target);
    }
  });

  it.each(files)("plans %s", (file) => {
    const parsed = parseRequestText(readFileSync(path.join(EXAMPLES, file), "utf8"));
    if (!parsed.ok) throw new Error(parsed.failure.reason);
    const result = plan(parsed.request, { baseDir: EXAMPLES });
    if (isFailure(result)) throw new Error(`${file}: ${result.reason}`);
    expect(result.status === "redeploy" ? "redeploy" : result.spec.target).toBe(EXPECTED[file]);
  });
});

describe("plan on random documents", () => {
  const stages = new Set<string>(FAILURE_STAGES);
  const check = (document: unknown) => {
    const result = plan(document);
    if (result.status === "planned") expect(result.spec.stack).toContain(".");
    else if (result.status === "redeploy") expect(result.intent.project_id).toBeTruthy();
    else {
      expect(result.status).toBe("error");
      expect(stages.has(result.stage)).toBe(true);
      expect(typeof result.reason).toBe("string");
      expect(typeof result.fix_suggestion).toBe("string");
    }
  };

  it("never throws on arbitrary JSON values and always answers with a plan or a structured error", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => check(value)), { numRuns: 500 });
  });

  it("never throws on arbitrary text documents", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => check(text)), { numRuns: 500 });
  });

  it("never throws on valid requests with fields replaced by random values", () => {
    const valid = JSON.parse(readFileSync(path.join(EXAMPLES, "vercel-nextjs-saas.json"), "utf8")) as Record<string, unknown>;
    const keys = Object.keys(valid);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), fc.boolean(), (key, value, drop) => {
        const mutated: Record<string, unknown> = { ...valid };
        if (drop) delete mutated[key];
        else mutated[key] = value;
        check(mutated);
      }),
      { numRuns: 500 },
    );
  });
});

function cli(args: string[], input = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "deployment-planner.cjs"), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("deployment-planner plan", () => {
  it("prints exactly one JSON object with --json and exits 0 for a plan", async () => {
    const run = await cli(["plan", "examples/requests/brief-cloud-saas.json", "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: "planned", spec: { target: "vercel", stack: "pf-789.production" } });
    expect(result.secrets.map((s: { name: string }) => s.name)).toEqual(["MONGODB_URI", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
    expect(result.secrets[0].expected_at).toMatchObject({ scheme: "vault", location: "secret/pf-789#MONGODB_URI" });
  });

  it("reads the request from stdin with -", async () => {
    const run = await cli(["plan", "-", "--json"], "project_id: from-stdin\ndeployment_type: static_site\ntech_stack: [HTML]\nenvironment: {ENV: staging}\n");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).spec.stack).toBe("from-stdin.staging");
  });

  it("prints every decision with its reason with --explain", async () => {
    const run = await cli(["plan", "examples/requests/brief-cloud-saas.json", "--explain"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("target: vercel\n    because SaaS and SSR front ends go to Vercel");
    expect(run.stdout).toContain("STRIPE_SECRET_KEY: Vault KV v2 secret 'secret/pf-789', key 'STRIPE_SECRET_KEY'");
  });

  it("exits 2 with the brief's error object for an invalid request", async () => {
    const run = await cli(["plan", "-", "--json"], '{"project_id": "../etc", "deployment_type": "api", "tech_stack": ["Go"], "environment": {"ENV": "staging"}}');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "error", stage: "validation" });
    expect(run.stderr).toBe("");
  });

  it("exits 2 for a request no target can host as asked", async () => {
    const run = await cli(["plan", "-", "--json"], '{"project_id": "x", "deployment_type": "container", "tech_stack": ["Go"], "target": "vercel", "environment": {"ENV": "production"}}');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "error", stage: "plan" });
  });

  it("says plainly that a redeploy is resolved against the stack history", async () => {
    const run = await cli(["plan", "examples/requests/brief-redeploy.json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("redeploy pf_311.production as v3.2 for user_129");
  });

  it("exits 2 when the request file does not exist", async () => {
    const run = await cli(["plan", "examples/requests/nope.json", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).reason).toBe("request file examples/requests/nope.json does not exist");
  });
});
