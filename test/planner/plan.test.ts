import { describe, expect, it } from "vitest";
import { plan } from "../../src/planner/plan";
import { parseRequestText } from "../../src/planner/input";
import { loadCatalog } from "../../src/planner/catalog";
import { briefRequest as base, failed, planned, plannedResult, redeployRequest } from "../support/requests";

describe("plan: the brief's examples", () => {
  it("plans the brief's sample input to Vercel with STRIPE_SECRET_KEY and MONGODB_URI as secrets", () => {
    const spec = planned(base());
    expect(spec.target).toBe("vercel");
    expect(spec.region).toBe("iad1");
    expect(spec.stack).toBe("pf-789.production");
    expect(spec.secrets.map((s) => s.name)).toEqual(["MONGODB_URI", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
    expect(spec.secrets.find((s) => s.name === "STRIPE_SECRET_KEY")?.ref).toBe("vault:pf-789#STRIPE_SECRET_KEY");
    expect(spec.next_steps).toContain("Connect domain");
    expect(spec.next_steps).toContain("Create admin user");
    expect(spec.next_steps).toContain("Provision a MongoDB cluster and store MONGODB_URI in Vault under 'pf-789'");
  });

  it("keeps the publishable Stripe key out of the secrets", () => {
    const spec = planned(base({ env: { STRIPE_PUBLISHABLE_KEY: "pk_live_x" } }));
    expect(spec.env.STRIPE_PUBLISHABLE_KEY).toBe("pk_live_x");
    expect(spec.secrets.some((s) => s.name === "STRIPE_PUBLISHABLE_KEY")).toBe(false);
  });

  it("parses the brief's redeploy request into a redeploy intent and says what will happen", () => {
    const result = plan(redeployRequest());
    expect(result).toMatchObject({
      status: "redeploy",
      intent: { project_id: "pf_311", environment: "production", deployer_id: "user_129", version_name: "v3.2" },
    });
    expect((result as { summary: string }).summary).toMatch(/latest successful update/);
  });
});

describe("plan: target rules", () => {
  it.each([
    ["a SaaS front end", base(), "vercel"],
    ["a static site", base({ deployment_type: "static_site", tech_stack: ["Astro"] }), "netlify"],
    ["a full-stack app with a database", base({ deployment_type: "fullstack", tech_stack: ["Remix", "PostgreSQL"] }), "railway"],
    ["a container", base({ deployment_type: "container", tech_stack: ["Django", "PostgreSQL"] }), "railway"],
    ["a Python API", base({ deployment_type: "api", tech_stack: ["FastAPI"] }), "railway"],
    ["a Node API", base({ deployment_type: "api", tech_stack: ["Express"] }), "railway"],
    ["a development environment", base({ environment: { ENV: "development" } }), "local"],
    ["a container in development", base({ deployment_type: "container", tech_stack: ["Go"], environment: { ENV: "development" } }), "docker"],
    ["deployment_type local", base({ deployment_type: "local", tech_stack: ["HTML"] }), "local"],
    ["a container where Railway has no region", base({ deployment_type: "container", tech_stack: ["Go"], environment: { ENV: "production", REGION: "sa-east-1" } }), "aws"],
    ["an explicit AWS target", base({ target: "aws" }), "aws"],
    ["an explicit GCP target", base({ target: "gcp", tech_stack: ["Next.js", "PostgreSQL"] }), "gcp"],
  ])("sends %s to the expected target", (_name, request, target) => {
    expect(planned(request).target).toBe(target);
  });

  it("records the target decision with its reason", () => {
    const decision = planned(base()).decisions.find((d) => d.topic === "target");
    expect(decision).toEqual({ topic: "target", choice: "vercel", reason: "SaaS and SSR front ends go to Vercel" });
  });

  it("rejects an explicit target that cannot host the stack, at stage plan, naming what would work", () => {
    const result = failed(base({ deployment_type: "container", tech_stack: ["Django"], target: "netlify" }));
    expect(result.stage).toBe("plan");
    expect(result.reason).toBe("target: Netlify cannot host a container app (it hosts static)");
    expect(result.fix_suggestion).toContain("docker, railway, aws, gcp");
  });

  it("rejects a canary asked of a target that cannot split traffic, naming the targets that can", () => {
    const result = failed(base({ deployment_type: "fullstack", tech_stack: ["Remix", "PostgreSQL"], rollout: "canary" }));
    expect(result).toMatchObject({ stage: "plan", reason: "rollout: Railway cannot split traffic between two releases of a node build, so it cannot run a canary" });
    expect(result.fix_suggestion).toBe("Use all_at_once, or a target that can run a canary of a node build (local, gcp).");
    const appRunner = failed(base({ deployment_type: "container", tech_stack: ["Django"], target: "aws", rollout: { strategy: "canary", steps: [50, 100] } }));
    expect(appRunner.reason).toContain("AWS cannot split traffic between two releases of a container build");
  });

  it("falls back to all at once with a warning where production's default canary cannot run", () => {
    const result = plannedResult(base());
    expect(result.spec.target).toBe("vercel");
    expect(result.spec.rollout).toEqual({ strategy: "all_at_once" });
    expect(result.warnings).toContain(
      "rollout: production defaults to a canary, but Vercel cannot split traffic between two releases of a node build; the new release takes all traffic at once (canary-capable targets for node: local, gcp)",
    );
    expect(result.spec.decisions.find((d) => d.topic === "rollout")?.reason).toBe("production defaults to a canary, but Vercel cannot split traffic between two releases of a node build");
  });

  it("rejects a custom domain on the local target", () => {
    expect(failed(base({ target: "local", domain: "app.example.com" })).stage).toBe("plan");
  });
});

describe("plan: services and secrets", () => {
  it("turns a datastore the target cannot host into an external service with a connection secret and a next step", () => {
    const spec = planned(base());
    expect(spec.services.find((s) => s.id === "mongodb")).toMatchObject({ provisioning: "external", connection_env: "MONGODB_URI" });
  });

  it("uses the target's managed datastores where it has them", () => {
    const spec = planned(base({ deployment_type: "fullstack", tech_stack: ["Remix", "PostgreSQL", "Redis"] }));
    expect(spec.services.map((s) => [s.id, s.provisioning])).toEqual([
      ["postgresql", "managed"],
      ["redis", "managed"],
    ]);
    expect(spec.secrets.some((s) => s.name === "DATABASE_URL")).toBe(false);
  });

  it("runs datastores as containers on Docker", () => {
    const spec = planned(base({ target: "docker", deployment_type: "container", tech_stack: ["Express", "MySQL"] }));
    expect(spec.services[0]).toMatchObject({ id: "mysql", provisioning: "container", engine: "mysql" });
  });

  it("lets the request's secrets override the default Vault reference", () => {
    const spec = planned(base({ secrets: { STRIPE_SECRET_KEY: "vault:platform-a/stripe#secret_key@3" } }));
    expect(spec.secrets.find((s) => s.name === "STRIPE_SECRET_KEY")?.ref).toBe("vault:platform-a/stripe#secret_key@3");
  });

  it("adds secrets the request names beyond the catalog's", () => {
    const spec = planned(base({ secrets: { INTERNAL_TOKEN: "env:INTERNAL_TOKEN" } }));
    expect(spec.secrets.find((s) => s.name === "INTERNAL_TOKEN")).toEqual({ name: "INTERNAL_TOKEN", ref: "env:INTERNAL_TOKEN", required_by: ["request"] });
  });

  it("rejects a variable that is both plain and secret", () => {
    expect(failed(base({ env: { STRIPE_SECRET_KEY: "oops" } })).reason).toBe("env.STRIPE_SECRET_KEY: is also a secret; a variable is either plain or secret");
  });

  it("lists the webhooks services need and a next step to register them", () => {
    const spec = planned(base());
    expect(spec.webhooks).toEqual([
      expect.objectContaining({ service: "stripe", path: "/api/webhooks/stripe", secret_env: "STRIPE_WEBHOOK_SECRET" }),
    ]);
    expect(spec.next_steps.some((s) => s.startsWith("Register the stripe webhook"))).toBe(true);
  });

  it("never repeats a value given where a secret reference belongs", () => {
    const result = failed(base({ secrets: { STRIPE_SECRET_KEY: "sk_live_leaked_value" } }));
    expect(JSON.stringify(result)).not.toContain("sk_live_leaked_value");
    expect(result.reason).toContain("secrets.STRIPE_SECRET_KEY: must be a secret reference");
  });
});

describe("plan: environments and defaults", () => {
  it("gives production two to ten instances, a gigabyte and protection", () => {
    const spec = planned(base());
    expect(spec.resources).toEqual({ memory_mb: 1024, cpu: 1, min_instances: 2, max_instances: 10 });
    expect(spec.protect).toBe(true);
    expect(spec.ttl_hours).toBeNull();
  });

  it("gives a preview one small instance and a time-to-live", () => {
    const spec = planned(base({ environment: { ENV: "preview", NAME: "pr-42" } }));
    expect(spec.resources).toMatchObject({ memory_mb: 256, min_instances: 1, max_instances: 1 });
    expect(spec.ttl_hours).toBe(72);
    expect(spec.protect).toBe(false);
    expect(spec.environment).toBe("preview-pr-42");
    expect(spec.stack).toBe("pf-789.preview-pr-42");
  });

  it("lets the request override the tier's resources", () => {
    expect(planned(base({ resources: { memory_mb: 4096, instances: 3 } })).resources).toEqual({ memory_mb: 4096, cpu: 1, min_instances: 3, max_instances: 3 });
  });

  it("rejects a minimum above the maximum", () => {
    expect(failed(base({ resources: { min_instances: 5, max_instances: 2 } })).reason).toContain("more than max_instances 2");
  });

  it("plans a canary with the default steps and gates from the shorthand", () => {
    const spec = planned(base({ deployment_type: "api", tech_stack: ["Node.js"], target: "gcp", rollout: "canary" }));
    expect(spec.rollout).toEqual({ strategy: "canary", steps: [10, 50, 100], step_interval_seconds: 60, max_error_rate: 0.05, min_requests: 20 });
    expect(spec.decisions.find((d) => d.topic === "rollout")).toEqual({
      topic: "rollout",
      choice: "canary 10% → 50% → 100%",
      reason: "as requested; each step observed 60s and ≥ 20 requests, abort above 5.0% errors",
    });
  });

  it("keeps the gates a request names, and defaults production to a canary where the target can split traffic", () => {
    const asked = { strategy: "canary", steps: [25, 100], step_interval_seconds: 5, max_error_rate: 0.2, min_requests: 3 };
    const local = { deployment_type: "static_site", tech_stack: ["HTML"], target: "local", source: "./site" };
    expect(planned(base({ ...local, rollout: asked })).rollout).toEqual(asked);
    const byDefault = planned(base(local));
    expect(byDefault.rollout).toMatchObject({ strategy: "canary", steps: [10, 50, 100] });
    expect(byDefault.decisions.find((d) => d.topic === "rollout")?.reason).toMatch(/^default for production; /);
    expect(planned(base({ ...local, environment: { ENV: "staging" } })).rollout).toEqual({ strategy: "all_at_once" });
  });

  it("resolves a relative source against the request's directory", () => {
    expect(planned(base({ source: "../apps/web" })).build.source).toBe("/srv/apps/web");
  });

  it("builds a static site from an SSR framework as a static export", () => {
    const spec = planned(base({ deployment_type: "static_site", tech_stack: ["Next.js"] }));
    expect(spec.build).toMatchObject({ kind: "static", framework: "nextjs", output_dir: "out", start_command: null });
  });
});

describe("plan: validation", () => {
  it.each([
    ["a project id with a path separator", { project_id: "pf/789" }, "project_id: must start with a letter or digit and contain only letters, digits, '-' and '_' but got 'pf/789'"],
    ["a project id of ..", { project_id: ".." }, "project_id:"],
    ["a project id with whitespace", { project_id: "pf 789" }, "but got 'pf 789'"],
    ["a project id over 63 characters", { project_id: "p".repeat(64) }, "project_id:"],
    ["an unknown region", { environment: { ENV: "production", REGION: "moon-1" } }, "environment.REGION: unknown region 'moon-1'; expected a generic name (local, us-east-1"],
    ["a region with a space", { environment: { ENV: "production", REGION: "eu west" } }, "environment.REGION: must be a region name such as 'us-east-1' or 'fra1' but got 'eu west'"],
    ["an unknown ENV", { environment: { ENV: "prod" } }, "environment.ENV: expected one of [development, preview, staging, production] but got 'prod'"],
    ["an environment NAME with a separator", { environment: { ENV: "preview", NAME: "pr/42" } }, "environment.NAME:"],
    ["a wrong type", { tech_stack: "Next.js" }, "tech_stack: expected array but got string 'Next.js'"],
    ["an unknown field", { colour: "blue" }, "request: unknown field 'colour'"],
    ["a missing deployment type", { deployment_type: undefined }, "deployment_type: is required"],
  ])("rejects %s, naming the field and the value", (_name, overrides, message) => {
    const result = failed(base(overrides));
    expect(result.stage).toBe("validation");
    expect(result.reason).toContain(message);
  });

  it("names close matches for an unknown technology", () => {
    const result = failed(base({ tech_stack: ["Nxt.js", "Postgress"] }));
    expect(result.reason).toBe("tech_stack.0: unknown technology 'Nxt.js'; did you mean 'Next.js' or 'Nuxt' or 'NestJS'?");
    expect(result.problems).toEqual([result.reason, "tech_stack.1: unknown technology 'Postgress'; did you mean 'PostgreSQL'?"]);
  });

  it.each(["Next.js", "nextjs", "NextJS", "next", "NEXT.JS", " Next js "])("matches %s to Next.js ignoring case and punctuation", (name) => {
    expect(loadCatalog().find(name)?.id).toBe("nextjs");
  });

  it("reports every problem at once", () => {
    const result = failed({ project_id: "a/b", deployment_type: "x", tech_stack: [], environment: { ENV: "prod" } });
    expect(result.problems?.length).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["an array", []],
  ])("rejects %s as a request", (_name, request) => {
    expect(failed(request).reason).toMatch(/^request: expected an object/);
  });
});

describe("request documents", () => {
  it("rejects input over 1 MiB", () => {
    const result = parseRequestText(JSON.stringify({ pad: "x".repeat(1024 * 1024) }));
    expect(result).toMatchObject({ ok: false, failure: { stage: "validation" } });
  });

  it("rejects malformed JSON and YAML", () => {
    expect(parseRequestText('{"project_id": ').ok).toBe(false);
    expect(parseRequestText("project_id: [unclosed").ok).toBe(false);
  });

  it("rejects a YAML alias bomb", () => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i += 1) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]`);
    const result = parseRequestText(lines.join("\n"));
    expect(result).toMatchObject({ ok: false, failure: { stage: "validation" } });
  });

  it.each(["__proto__", "constructor", "prototype"])("rejects a %s key anywhere in the document", (key) => {
    const text = `{"project_id":"x","environment":{"${key}":{"polluted":true}}}`;
    expect(parseRequestText(text)).toMatchObject({ ok: false, failure: { reason: `environment.${key}: key is not allowed` } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("plans a YAML document given as a string", () => {
    const spec = planned("project_id: yaml-app\ndeployment_type: static_site\ntech_stack: [HTML]\nenvironment: {ENV: staging}\n");
    expect(spec.stack).toBe("yaml-app.staging");
  });
});
