import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { plan } from "../../src/planner/index";

const REPO = path.resolve(__dirname, "..", "..");

const base = {
  project_id: "guided",
  deployment_type: "static_site",
  tech_stack: ["HTML"],
  target: "local",
  environment: { ENV: "development" },
  source: REPO,
};

function problemsOf(request: unknown): string[] {
  const result = plan(request);
  if (result.status !== "error") throw new Error(`expected a failure, got ${result.status}`);
  return result.problems ? [...result.problems] : [result.reason];
}

describe("did you mean, for request fields and values as for regions", () => {
  it.each([
    ["a misspelt top-level field", { ...base, teck_stack: ["HTML"] }, "request: unknown field 'teck_stack'; did you mean 'tech_stack'?"],
    ["a misspelt nested field", { ...base, resources: { memroy_mb: 512 } }, "resources: unknown field 'memroy_mb'; did you mean 'memory_mb'?"],
    ["a misspelt environment key", { ...base, environment: { ENV: "development", REGON: "eu-west-1" } }, "environment: unknown field 'REGON'; did you mean 'REGION'?"],
    ["a misspelt rollout field", { ...base, rollout: { strategy: "canary", stpes: [50, 100] } }, "rollout: unknown field 'stpes'; did you mean 'steps'?"],
    [
      "a misspelt deployment type",
      { ...base, deployment_type: "static-site" },
      "deployment_type: expected one of [cloud_saas, static_site, fullstack, container, api, local, preview_only] but got 'static-site'; did you mean 'static_site'?",
    ],
    ["a shortened tier", { ...base, environment: { ENV: "prod" } }, "environment.ENV: expected one of [development, preview, staging, production] but got 'prod'; did you mean 'production'?"],
    ["a misspelt target", { ...base, target: "vercell" }, "target: expected one of [local, docker, vercel, netlify, railway, aws, gcp] but got 'vercell'; did you mean 'vercel'?"],
    ["a misspelt rollout shorthand", { ...base, rollout: "canery" }, "rollout: expected one of [all_at_once, canary] or an object but got 'canery'; did you mean 'canary'?"],
    ["a misspelt rollout strategy", { ...base, rollout: { strategy: "canery" } }, "rollout.strategy: expected one of [all_at_once, canary] but got 'canery'; did you mean 'canary'?"],
    [
      "a shortened AWS service",
      { ...base, target_settings: { aws_container_service: "ecs" } },
      "target_settings.aws_container_service: expected one of [ecs_express, app_runner] but got 'ecs'; did you mean 'ecs_express'?",
    ],
    ["a misspelt redeploy field", { project_id: "p", target_env: "production", deployer_id: "u", version_name: "v2", versoin_name: "v3" }, "request: unknown field 'versoin_name'; did you mean 'version_name'?"],
  ])("%s", (_name, request, expected) => {
    expect(problemsOf(request)).toContain(expected);
  });

  it("suggests each of several unknown fields its own spelling, and nothing for a field unlike any", () => {
    expect(problemsOf({ ...base, teck_stack: ["HTML"], enviroment: {}, colour: "blue" })).toContain(
      "request: unknown fields 'teck_stack' (did you mean 'tech_stack'?), 'enviroment' (did you mean 'environment'?), 'colour'",
    );
    expect(problemsOf({ ...base, colour: "blue" })).toEqual(["request: unknown field 'colour'"]);
  });
});

/** Relative paths of repository files cited in the string literals and templates of the product's source. */
function citedPaths(): { file: string; cited: string }[] {
  const found: { file: string; cited: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|cjs)$/.test(entry.name)) {
        const source = ts.createSourceFile(full, readFileSync(full, "utf8"), ts.ScriptTarget.Latest, true);
        const visit = (node: ts.Node): void => {
          // Comments are not nodes: only text that can reach a user is read.
          if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
            for (const match of node.text.matchAll(/(?<![\w/#.])((?:docs|src|schemas|examples|scripts|test|toolchain)\/[\w./-]+\.(?:md|ya?ml|json|ts))\b/g)) {
              found.push({ file: path.relative(REPO, full), cited: match[1]! });
            }
          }
          ts.forEachChild(node, visit);
        };
        visit(source);
      }
    }
  };
  walk(path.join(REPO, "src"));
  return found;
}

describe("every file a message cites is one the user has", () => {
  it("cites only files the package ships", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { files: string[] };
    const shipped = (cited: string) =>
      pkg.files.some((entry) => !entry.startsWith("!") && (cited === entry || cited.startsWith(`${entry.replace(/\/$/, "")}/`))) &&
      !pkg.files.some((entry) => entry.startsWith("!") && new RegExp(`^${entry.slice(1).replace(/\./g, "\\.").replace(/\*/g, ".*")}$`).test(cited));
    const cited = citedPaths();
    expect(cited.map((c) => c.cited)).toContain("schemas/request.schema.json");
    const unshipped = cited.filter((c) => !shipped(c.cited) || !existsSync(path.join(REPO, c.cited)));
    expect(unshipped).toEqual([]);
  });

  it("an unknown technology's fix names the catalog's technologies, and an unknown region's fix every target's own codes", () => {
    const tech = plan({ ...base, tech_stack: ["Qwerty"] });
    expect(tech).toMatchObject({ stage: "validation", reason: "tech_stack.0: unknown technology 'Qwerty'" });
    expect((tech as { fix_suggestion: string }).fix_suggestion).toMatch(/^Use a technology the catalog knows .*: Next\.js, .*HTML, .*Stripe/);
    const region = plan({ ...base, environment: { ENV: "development", REGION: "moon-1" } });
    expect((region as { fix_suggestion: string }).fix_suggestion).toContain("Vercel: iad1,");
    expect((region as { fix_suggestion: string }).fix_suggestion).toContain("Google Cloud: us-central1,");
    expect((region as { reason: string }).reason).not.toContain("docs/");
  });
});
