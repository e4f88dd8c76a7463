import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCatalog } from "../../src/planner/catalog";
import { plan } from "../../src/planner/plan";
import { explainPlan } from "../../src/planner/explain";
import { regionNames } from "../../src/planner/rules/region";
import { TARGETS, type StackSpec, type Target } from "../../src/planner/spec";
import { briefRequest, failed, planned, plannedResult, regionRequest } from "../support/requests";

const catalog = loadCatalog();

const regionDecision = (spec: StackSpec) => spec.decisions.find((d) => d.topic === "region");

/** Every name in every target's region map: [target, name, expected code, expected reason]. */
const SPELLINGS: [Target, string, string, string][] = TARGETS.flatMap((target) => {
  const { name, regions } = catalog.targets[target];
  const generics = Object.entries(regions).filter(([generic]) => generic !== "default") as [string, string][];
  const rows: [Target, string, string, string][] = generics.map(([generic, code]) => [target, generic, code, `${generic} maps to ${name}'s ${code}`]);
  for (const code of new Set(Object.values(regions) as string[])) {
    // A code spelt like a generic name is read as that name: AWS's codes, and `local` for this machine.
    if (code === "local") rows.push([target, code, code, "local region"]);
    else if (!regions[code as keyof typeof regions]) rows.push([target, code, code, `${code} is ${name}'s own name`]);
  }
  return rows;
});

describe("plan: region spellings", () => {
  it("covers a generic and an own name for every target", () => {
    for (const target of TARGETS) expect(SPELLINGS.filter(([t]) => t === target).length).toBeGreaterThan(0);
    expect(SPELLINGS.length).toBeGreaterThan(80);
  });

  it.each(SPELLINGS)("on %s, plans REGION %s to %s", (target, region, code, reason) => {
    const spec = planned(regionRequest(target, region));
    expect(spec.region).toBe(code);
    expect(spec.request_region).toBe(region);
    expect(regionDecision(spec)).toEqual({ topic: "region", choice: code, reason });
  });

  it.each([
    ["europe-west1", "vercel", "dub1", "europe-west1 is Google Cloud's name for eu-west-1, which maps to Vercel's dub1"],
    ["fra1", "gcp", "europe-west3", "fra1 is Vercel's name for eu-central-1, which maps to Google Cloud's europe-west3"],
    ["fra1", "railway", "europe-west4-drams3a", "fra1 is Vercel's name for eu-central-1, which maps to Railway's europe-west4-drams3a"],
    ["iad1", "aws", "us-east-1", "iad1 is Vercel's name for us-east-1, which maps to AWS's us-east-1"],
    // Railway's us-west2 stands for two generic names; GCP's for one, so GCP's reading wins.
    ["us-west2", "vercel", "sfo1", "us-west2 is Google Cloud's name for us-west-1, which maps to Vercel's sfo1"],
  ])("maps another target's own name %s back through its generic name on %s (%s)", (region, target, code, reason) => {
    const spec = planned(regionRequest(target as Target, region));
    expect(spec.region).toBe(code);
    expect(regionDecision(spec)?.reason).toBe(reason);
  });

  it("ignores case and keeps the request's spelling in request_region", () => {
    const spec = planned(regionRequest("vercel", "EU-Central-1"));
    expect(spec).toMatchObject({ region: "fra1", request_region: "EU-Central-1" });
  });

  it("uses the target's default with a reason when the request names no region", () => {
    const spec = planned(regionRequest("gcp", undefined));
    expect(regionDecision(spec)).toEqual({ topic: "region", choice: "us-central1", reason: "no REGION given; Google Cloud's default" });
    expect(spec.request_region).toBeNull();
  });

  it("falls back to the target's default with a warning when it has no region matching", () => {
    const result = plannedResult(regionRequest(undefined, "eu-west-1"));
    expect(result.spec).toMatchObject({ target: "netlify", region: "global" });
    expect(result.warnings).toEqual(["Netlify has no region matching eu-west-1; using global"]);
  });

  it("falls back the same way for another target's own name the target has no region for", () => {
    const result = plannedResult(regionRequest("railway", "gru1"));
    expect(result.spec.region).toBe("us-east4-eqdc4a");
    expect(result.warnings).toEqual(["Railway has no region matching gru1; using us-east4-eqdc4a"]);
  });

  it("rejects another target's name that stands for several regions the target keeps apart, at stage validation", () => {
    const result = failed(regionRequest("vercel", "europe-west4-drams3a"));
    expect(result.stage).toBe("validation");
    expect(result.reason).toBe("environment.REGION: 'europe-west4-drams3a' is Railway's name for eu-west-1, eu-west-2, eu-central-1, which Vercel keeps apart as dub1, lhr1, fra1");
    expect(result.fix_suggestion).toContain("Name one of eu-west-1, eu-west-2, eu-central-1");
  });

  it("sends a container to Railway through another target's name for a region Railway has", () => {
    const spec = planned(briefRequest({ deployment_type: "container", tech_stack: ["Go"], environment: { ENV: "production", REGION: "fra1" } }));
    expect(spec).toMatchObject({ target: "railway", region: "europe-west4-drams3a" });
  });

  it("sends a container to AWS when Railway has no region for the name, whichever spelling", () => {
    const spec = planned(briefRequest({ deployment_type: "container", tech_stack: ["Go"], environment: { ENV: "production", REGION: "gru1" } }));
    expect(spec).toMatchObject({ target: "aws", region: "sa-east-1" });
  });

  it("lands every known name on every target either on one of its codes or on a validation error", () => {
    for (const target of TARGETS) {
      const codes = Object.values(catalog.targets[target].regions);
      for (const region of regionNames(catalog)) {
        const result = plan(regionRequest(target, region));
        if (result.status === "planned") expect(codes, `${region} on ${target}`).toContain(result.spec.region);
        else expect(result, `${region} on ${target}`).toMatchObject({ stage: "validation", reason: expect.stringMatching(/^environment\.REGION: /) });
      }
    }
  });

  it("lists every accepted name in docs/planner.md", () => {
    const docs = readFileSync(path.join(__dirname, "..", "..", "docs", "planner.md"), "utf8");
    for (const region of regionNames(catalog)) expect(docs, region).toContain(`\`${region}\``);
  });

  it("shows the mapping in plan --explain", () => {
    const text = explainPlan(plannedResult(regionRequest("vercel", "europe-west1")));
    expect(text).toContain("region: dub1\n    because europe-west1 is Google Cloud's name for eu-west-1, which maps to Vercel's dub1");
    expect(explainPlan(plannedResult(regionRequest("vercel", "fra1")))).toContain("region: fra1\n    because fra1 is Vercel's own name");
  });
});

describe("plan: unknown regions", () => {
  it.each([
    ["eu-wset-1", "environment.REGION: unknown region 'eu-wset-1'; did you mean 'eu-west-1'?"],
    ["fra2", "did you mean 'fra1'"],
    ["europe-west", "'europe-west1'"],
  ])("rejects %s at stage validation with did-you-mean", (region, message) => {
    const result = failed(regionRequest("vercel", region));
    expect(result.stage).toBe("validation");
    expect(result.reason).toContain(message);
  });

  it("names the accepted spellings when nothing is close", () => {
    const result = failed(regionRequest(undefined, "moon-1"));
    expect(result.reason).toMatch(/^environment\.REGION: unknown region 'moon-1'; expected a generic name \(local, us-east-1, .*sa-east-1\) or a target's own code/);
  });

  it("reports an unknown region with unknown technologies at once", () => {
    const result = failed(briefRequest({ tech_stack: ["Nxt.js"], environment: { ENV: "production", REGION: "moon-1" } }));
    expect(result.problems).toHaveLength(2);
    expect(result.problems?.[1]).toContain("environment.REGION: unknown region 'moon-1'");
  });
});
