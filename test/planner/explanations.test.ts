import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { isFailure } from "../../src/outcome";
import { promotionMessage, renderStackSpec, SPEC_CONFIG_FQ_KEY } from "../../src/automation/index";
import { parseRequestText } from "../../src/planner/input";
import { explainSpec } from "../../src/planner/explain-spec";
import { planPromotion } from "../../src/planner/promotion";
import { decisionConflicts } from "../../src/planner/spec-check";
import { specChanges } from "../../src/planner/spec-diff";
import { stackSpecSchema, type StackSpec } from "../../src/planner/spec";
import { exampleRequestFiles, exampleSpec, plannedSpec } from "../support/specs";

const REQUESTS = path.resolve(__dirname, "..", "..", "examples", "requests");
const DIGEST = `sha256:${"b".repeat(64)}`;

function exampleRequest(file: string): Record<string, unknown> {
  const parsed = parseRequestText(readFileSync(path.join(REQUESTS, file), "utf8"));
  if (!parsed.ok) throw new Error(parsed.failure.reason);
  return parsed.request as Record<string, unknown>;
}

/** An example request planned for another tier (development: without a domain, which a development target may not serve). */
function tierSpec(file: string, tier: string): StackSpec {
  const { domain, environment, ...request } = exampleRequest(file);
  const { NAME: _name, ...env } = environment as Record<string, string>;
  return plannedSpec({ ...request, ...(tier !== "development" && domain ? { domain } : {}), environment: { ...env, ENV: tier } });
}

function developmentSpec(file: string): StackSpec {
  return tierSpec(file, "development");
}

function promoted(source: StackSpec, current: StackSpec | null, environment: string, version = 3): StackSpec {
  const result = planPromotion({ spec: source, version }, current, { environment, actor: "release-bot" });
  if (isFailure(result)) throw new Error(`${source.stack} -> ${environment}: ${result.reason}`);
  return result.spec;
}

/** The decision on a topic, as `plan --explain` prints it. */
function decision(spec: StackSpec, topic: string): string {
  const found = spec.decisions.filter((d) => d.topic === topic);
  expect(found, `${spec.stack} decides ${topic} once`).toHaveLength(1);
  return `${found[0]!.choice} because ${found[0]!.reason}`;
}

describe("decisions generated from the spec they explain", () => {
  const files = exampleRequestFiles();

  it.each(files)("%s: the plan, and the stack file written from it, explain their own fields", async (file) => {
    const spec = exampleSpec(file);
    expect(decisionConflicts(spec)).toEqual([]);
    // The writer's explanation leaves a planned spec exactly as the planner made it.
    expect(explainSpec(spec)).toBe(spec);
    expect(decisionConflicts(await writtenSpec(spec))).toEqual([]);
  });

  it.each(files)("%s: promoted development -> staging -> production, each onto a new stack file", (file) => {
    const development = { ...developmentSpec(file), artifact: { digest: DIGEST, path: ".deployment-planner/bundles/x" } };
    const staging = promoted(development, null, "staging");
    const production = promoted(staging, null, "production", 4);
    for (const spec of [development, staging, production]) expect(decisionConflicts(spec), spec.stack).toEqual([]);

    expect(staging).toMatchObject({ tier: "staging", auto_rollback: true, protect: false });
    expect(decision(staging, "auto_rollback")).toBe("on because staging rolls back to its previous healthy version by itself when an update fails its health check");
    expect(production).toMatchObject({ tier: "production", protect: true, auto_rollback: true, resources: { min_instances: 2, max_instances: 10 } });
    expect(decision(production, "protection")).toBe("protected because production is protected from accidental destroy (destroy needs --force)");
    expect(decision(production, "resources")).toMatch(/ because defaults for production$/);
    expect(decision(production, "promotion")).toBe(`${staging.stack} update 4 because promoted: the app of ${staging.stack} update 4 on production's own settings`);
    // Nothing about the source's tier is left in the explanations of the promoted environments.
    for (const spec of [staging, production]) {
      expect(spec.decisions.filter((d) => d.topic !== "promotion").map((d) => d.reason).join("\n")).not.toMatch(/(?<![\w.-])development(?![\w.-])/);
    }
  });

  it.each(files)("%s: promoted onto the environment's own stack file, which keeps its settings and their reasons", (file) => {
    const own = exampleSpec(file);
    const source = { ...tierSpec(file, own.tier === "staging" ? "preview" : "staging"), artifact: { digest: DIGEST, path: ".deployment-planner/bundles/x" } };
    const result = planPromotion({ spec: source, version: 2 }, own, { environment: own.environment, actor: "release-bot" });
    if (source.target !== own.target) {
      expect(result).toMatchObject({ status: "error", stage: "plan", reason: `cannot promote ${source.stack} to ${own.stack}: ${source.stack} runs on ${source.target} and ${own.stack} on ${own.target}` });
      return;
    }
    if (isFailure(result)) throw new Error(result.reason);
    const onto = result.spec;
    expect(decisionConflicts(onto)).toEqual([]);
    for (const topic of ["resources", "protection", "auto_rollback", "rollout", "region", "ttl", "secrets"]) {
      expect(onto.decisions.find((d) => d.topic === topic)).toEqual(own.decisions.find((d) => d.topic === topic));
    }
    expect(onto).toMatchObject({ artifact: { digest: DIGEST }, deployer_id: "release-bot", domain: own.domain, next_steps: expect.arrayContaining(own.next_steps.slice(0, 1)) });
  });

  it("keeps a request's explicit choices as requested, and says the tier's default where the target's tier gave the value", () => {
    const request = { project_id: "kept", deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "production" }, ttl_hours: 500, auto_rollback: false, rollout: "all_at_once" };
    const production = plannedSpec(request);
    const staging = plannedSpec({ ...request, environment: { ENV: "staging" }, ttl_hours: undefined, auto_rollback: true, rollout: undefined });
    const onto = promoted(staging, production, "production");
    expect(decisionConflicts(onto)).toEqual([]);
    expect(onto).toMatchObject({ ttl_hours: 500, auto_rollback: false, protect: true });
    expect(decision(onto, "ttl")).toBe("500 hours because as requested");
    expect(decision(onto, "auto_rollback")).toBe("off because as requested");
    // staging asked for automatic rollback; a new production environment has it because production's default does.
    expect(decision(promoted(staging, null, "production"), "auto_rollback")).toMatch(/^on because production rolls back/);
  });

  it("re-explains an environment whose stack file contradicts itself, as earlier promotions wrote them", () => {
    const development = developmentSpec("local-node-server.json");
    const production = promoted(promoted(development, null, "staging"), null, "production");
    // What a promotion that copied the source's decisions wrote: production's fields, development's reasons.
    const contradicting = { ...production, decisions: development.decisions };
    const conflicts = decisionConflicts(contradicting);
    expect(conflicts).toEqual(
      expect.arrayContaining([
        "protection: says 'unprotected' but the spec has 'protected'",
        "auto_rollback: says 'off' but the spec has 'on'",
        "resources: says '256 MiB, 0.25 vCPU, 1-1 instances' but the spec has '1024 MiB, 1 vCPU, 2-10 instances'",
        "rollout: says 'all at once' but the spec has 'canary 10% → 50% → 100%'",
      ]),
    );
    const again = promoted(development, contradicting, "production");
    expect(decisionConflicts(again)).toEqual([]);
    expect(decision(again, "protection")).toBe("protected because production is protected from accidental destroy (destroy needs --force)");
  });

  it("refuses to move an environment onto the source's target", () => {
    const own = exampleSpec("netlify-astro-site.json");
    const development = developmentSpec("netlify-astro-site.json");
    expect(development.target).toBe("local");
    expect(planPromotion({ spec: development, version: 1 }, own, { environment: own.environment })).toMatchObject({
      status: "error",
      stage: "plan",
      reason: `cannot promote ${development.stack} to ${own.stack}: ${development.stack} runs on local and ${own.stack} on netlify`,
    });
  });

  it("says a value set by hand in the stack file is not the tier's default, and follows a domain into the next steps", async () => {
    const spec = exampleSpec("vercel-nextjs-saas.json");
    const edited = { ...spec, protect: false, auto_rollback: false, ttl_hours: 24, domain: "shop.example.com", resources: { ...spec.resources, memory_mb: 2048 } };
    const conflicts = decisionConflicts(edited);
    expect(conflicts.length).toBeGreaterThanOrEqual(5);
    const explained = explainSpec(edited);
    expect(decisionConflicts(explained)).toEqual([]);
    expect(decision(explained, "protection")).toBe("unprotected because set in the stack file: may be destroyed freely; production is protected by default");
    expect(decision(explained, "auto_rollback")).toBe("off because set in the stack file; the default for production is on");
    expect(decision(explained, "ttl")).toBe("24 hours because set in the stack file; production environments have no time to live by default");
    expect(decision(explained, "resources")).toMatch(/^2048 MiB, 1 vCPU, 2-10 instances because set in the stack file; the defaults for production are 1024 MiB/);
    expect(explained.next_steps[0]).toBe("Point the DNS of shop.example.com at Vercel and wait for its certificate");
    expect(explained.next_steps).not.toContain("Connect domain");
    // The one writer of stack files writes the explained spec, whatever path hands it a spec.
    expect(decisionConflicts(await writtenSpec(edited))).toEqual([]);
  });

  it("flags each field a decision contradicts", () => {
    const spec = exampleSpec("gcp-cloud-run.yaml");
    const cases: [Partial<StackSpec>, RegExp][] = [
      [{ region: "europe-west1" }, /^region: says '.+' but the spec has 'europe-west1'/],
      [{ target: "railway" }, /^target: says 'gcp'/],
      [{ rollout: { strategy: "all_at_once" } }, /^rollout: says 'canary/],
      [{ ttl_hours: 12 }, /^ttl: no decision explains it/],
      [{ tier: "staging", environment: "staging" }, /speaks of production in a staging spec/],
      [{ secrets: [] }, /^secrets: the spec has no secrets/],
      [{ resources: { ...spec.resources, cpu: 4 } }, /^resources: says '1024 MiB, 1 vCPU, 2-10 instances' but the spec has '1024 MiB, 4 vCPU/],
      [{ domain: "app.example.com" }, /^next_steps: say 'Connect domain' about the domain/],
    ];
    for (const [change, message] of cases) expect(decisionConflicts({ ...spec, ...change }), JSON.stringify(change)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    // On AWS the asked size stays in the resources decision and the size that runs in compute_size.
    const aws = plannedSpec({ ...exampleRequest("aws-container-api.json"), resources: { cpu: 0.3, memory_mb: 600 } });
    expect(aws.decisions.map((d) => d.topic)).toContain("compute_size");
    expect(decisionConflicts(aws)).toEqual([]);
    expect(decisionConflicts({ ...aws, resources: { ...aws.resources, memory_mb: 8192 } })).toEqual([
      "resources: says '600 MiB, 0.3 vCPU, 2-10 instances' but the spec has '8192 MiB, 0.5 vCPU, 2-10 instances'",
      "compute_size: says '0.5 vCPU, 1024 MiB' but the spec has '0.5 vCPU, 8192 MiB'",
    ]);
  });
});

describe("promotion commit messages", () => {
  const from = { stack: "shop.staging", version: 4, version_name: "s2", artifact_digest: DIGEST };

  it("describe a new stack file by the version and bundle it starts with", () => {
    const spec = promoted({ ...developmentSpec("local-static-site.json"), version_name: "s2", artifact: { digest: DIGEST, path: ".deployment-planner/bundles/x" } }, null, "staging");
    const message = promotionMessage(from, "shop.production", null, spec);
    expect(message).toBe(`Promote shop.staging update 4 (version s2) to shop.production\n\nNew stack file for shop.production:\n- version_name: s2\n- artifact.digest: ${DIGEST}\n`);
  });

  it("list, for an existing file, exactly the values that differ", () => {
    const before = { ...exampleSpec("local-node-server.json"), version_name: "p1", artifact: { digest: `sha256:${"a".repeat(64)}`, path: ".deployment-planner/bundles/a" } };
    const after = { ...before, version_name: "s2", artifact: { digest: DIGEST, path: ".deployment-planner/bundles/b" }, env: { ...before.env, FEATURE: "on" }, decisions: [] };
    expect(specChanges(before, after)).toEqual([
      "env.FEATURE: none -> on",
      "version_name: p1 -> s2",
      `artifact.digest: sha256:${"a".repeat(64)} -> ${DIGEST}`,
      "artifact.path: .deployment-planner/bundles/a -> .deployment-planner/bundles/b",
    ]);
    expect(promotionMessage(from, before.stack, before, after)).not.toMatch(/build|services|changed/);
  });
});

/** The spec as the stack-file writer writes it, read back. */
async function writtenSpec(spec: StackSpec): Promise<StackSpec> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dp-explain-"));
  try {
    const { after } = await renderStackSpec(path.join(dir, "stacks"), spec);
    return stackSpecSchema.parse((YAML.parse(after) as { config: Record<string, unknown> }).config[SPEC_CONFIG_FQ_KEY]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
