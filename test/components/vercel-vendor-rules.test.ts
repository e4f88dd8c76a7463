import * as pulumi from "@pulumi/pulumi";
import { frameworkList } from "@vercel/frameworks";
import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, isolateEnvironment, valueOf, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, requestIn } from "../support/specs";
import { loadCatalog } from "../../src/planner/catalog";
import { ENVIRONMENT_TIERS, type EnvironmentTier, type StackSpec } from "../../src/planner/spec";

/*
 * Policy tests of the Vercel target built from Vercel's own rules: its framework list (the `@vercel/frameworks`
 * package, which the provider's framework check mirrors), its region list, the provider's rule on sensitive variables,
 * which environments project domains serve, and which URLs each Deployment Protection scope protects.
 */

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/vercel/index")).buildVercel);
const { VERCEL_FRAMEWORKS, vercelFramework } = await import("../../src/components/vercel/frameworks");
const { productionDomainUrl } = await import("../../src/components/vercel/access");
isolateEnvironment(["VERCEL_TEAM", "VERCEL_API_TOKEN"]);

const PROJECT = "vercel:index/project:Project";
const VARIABLE = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable";
const DEPLOYMENT = "vercel:index/deployment:Deployment";
const PROJECT_DOMAIN = "vercel:index/projectDomain:ProjectDomain";
const ALIAS = "vercel:index/alias:Alias";

/** Every framework slug Vercel knows, read from the package Vercel publishes its list in. */
const VERCEL_SLUGS = new Set(frameworkList.map((f) => f.slug).filter((slug): slug is string => slug !== null));

/**
 * Vercel's compute regions as its documentation lists them (vercel.com/docs/regions: 20 compute-capable regions; the
 * same ids as `blobRegions` in vercel/terraform-provider-vercel c8a6711, `vercel/blob_shared.go`).
 */
const VERCEL_REGIONS = new Set([
  "arn1", "bom1", "cdg1", "cle1", "cpt1", "dub1", "dxb1", "fra1", "gru1", "hkg1",
  "hnd1", "iad1", "icn1", "kix1", "lhr1", "pdx1", "sfo1", "sin1", "syd1", "yul1",
]);

/** `vercel_authentication.deployment_type` values the provider accepts (terraform-provider-vercel v5.4.1, `resource_project.go`). */
const PROVIDER_PROTECTION_TYPES = new Set(["standard_protection_new", "standard_protection", "all_deployments", "only_preview_deployments", "none"]);

/** The kinds of URL a release can be reported on, as Deployment Protection tells them apart. */
type UrlKind = "production domain" | "preview domain" | "generated";

/**
 * Whether a URL of that kind answers anyone under a protection scope (vercel.com/docs/deployment-protection):
 * Standard Protection "protects all domains except Production Custom Domains" and the production domains; All
 * Deployments "protects all URLs"; none protects nothing. A preview deployment is protected on every URL under Standard
 * Protection, a custom domain assigned to it included.
 */
function answersAnyone(scope: string, kind: UrlKind): boolean {
  if (scope === "none") return true;
  if (scope === "standard_protection_new") return kind === "production domain";
  return false;
}

/** The hosted catalog technologies that can be a Vercel stack's framework: the ones the build rule picks from. */
function hostedFrameworks() {
  const catalog = loadCatalog();
  const hosts: readonly string[] = catalog.targets.vercel.hosts;
  return catalog.technologies.filter((t) => ["frontend", "backend", "runtime"].includes(t.kind) && hosts.includes(t.runs_as));
}

const saas = (overrides: Partial<StackSpec> = {}) => exampleSpec("vercel-nextjs-saas.json", { artifact: EXAMPLE_BUNDLE, ...overrides });
const one = (type: string): RecordedResource | undefined => mocks.ofType(type)[0];

/**
 * Builds with Vercel's production aliases on the deployment, which the shared mocks leave out: Vercel assigns a
 * production deployment the project's production domains (`<project>.vercel.app` and `<project>-<team>.vercel.app`),
 * read back by the provider as `domains`.
 */
async function buildWithProductionAliases(spec: StackSpec) {
  const monitor = pulumi.runtime.getMonitor() as unknown as { mocks?: pulumi.runtime.Mocks };
  const inner = monitor.mocks;
  if (!inner) throw new Error("Pulumi's mock monitor no longer exposes its mocks; give production deployments their aliases another way");
  monitor.mocks = {
    call: (args) => inner.call(args),
    async newResource(args) {
      const result = await inner.newResource(args);
      if (args.type !== DEPLOYMENT || args.inputs.production !== true) return result;
      const project = String(one(PROJECT)?.inputs.name);
      return { ...result, state: { ...result.state, domains: [`${project}-acme.vercel.app`, `${project}.vercel.app`, String(result.state.url)] } };
    },
  };
  try {
    return await build(spec);
  } finally {
    monitor.mocks = inner;
  }
}

describe("Vercel frameworks: every slug is one of @vercel/frameworks", () => {
  it("maps every catalog framework the Vercel target hosts, and nothing else", () => {
    const hosted = hostedFrameworks().map((t) => t.id);
    expect(hosted.length).toBeGreaterThan(0);
    // A technology added to the catalog without a Vercel preset fails here, not at apply.
    expect(hosted.filter((id) => !Object.hasOwn(VERCEL_FRAMEWORKS, id))).toEqual([]);
    expect(Object.keys(VERCEL_FRAMEWORKS).filter((id) => !hosted.includes(id))).toEqual([]);
  });

  it.each(Object.entries(VERCEL_FRAMEWORKS))("maps %s to a preset Vercel publishes, or to none", (_id, slug) => {
    if (slug !== null) expect(VERCEL_SLUGS).toContain(slug);
  });

  it.each(hostedFrameworks().map((t) => [t.id, t.name] as const))("gives the project of a %s stack a framework Vercel accepts", async (id, name) => {
    const spec = plannedSpec(requestIn("vercel", null, { deployment_type: "cloud_saas", tech_stack: [name] }), { artifact: EXAMPLE_BUNDLE });
    expect(spec.build.framework).toBe(id);
    await build(spec);
    const framework = one(PROJECT)?.inputs.framework;
    // Omitted is Vercel's "Other" (no preset); anything sent must be in Vercel's list.
    if (framework !== undefined) expect(VERCEL_SLUGS).toContain(framework);
    expect(framework ?? null).toBe(VERCEL_FRAMEWORKS[id]);
  });

  it("treats a node build with no catalog framework as Vercel's generic Node.js preset, and plain files as Other", () => {
    expect(vercelFramework({ framework: null, kind: "node" })).toBe("node");
    expect(VERCEL_SLUGS).toContain("node");
    expect(vercelFramework({ framework: null, kind: "static" })).toBeNull();
    expect(() => vercelFramework({ framework: "not-in-the-catalog", kind: "node" })).toThrow(/no framework preset/);
  });
});

describe("Vercel variables: sensitive only where Vercel allows it, in the environment the deployment runs in", () => {
  it.each(ENVIRONMENT_TIERS)("scopes every %s variable to the deployment's own environment, and none that targets development is sensitive", async (tier) => {
    const spec = saas({ tier });
    await build(spec);
    const production = one(DEPLOYMENT)?.inputs.production === true;
    const variables = mocks.ofType(VARIABLE);
    expect(variables).toHaveLength(Object.keys(spec.env).length + spec.secrets.length);
    for (const variable of variables) {
      const targets = variable.inputs.targets as string[];
      // The provider: "Variables targeting only `development` must set `sensitive = false`"; it checks any development target.
      if (targets.includes("development")) expect(variable.inputs.sensitive, variable.name).toBe(false);
      // A deployment reads production or preview variables; `development` is `vercel dev` on a developer's machine.
      expect(targets, variable.name).toEqual([production ? "production" : "preview"]);
    }
    for (const secret of spec.secrets) expect(variables.find((v) => v.inputs.key === secret.name)?.inputs.sensitive, secret.name).toBe(true);
  });
});

describe("Vercel domains: the reported domain serves this release", () => {
  it.each(ENVIRONMENT_TIERS.filter((t) => t !== "production"))("points a %s release's domain at its deployment with an alias", async (tier) => {
    const outputs = await build(saas({ tier, domain: "staging.mycourse.example.com" }));
    expect(one(DEPLOYMENT)?.inputs.production).toBe(false);
    // A project domain serves production deployments only, so the preview deployment gets the domain as an alias.
    expect(mocks.ofType(ALIAS)).toHaveLength(1);
    expect(one(ALIAS)?.inputs).toMatchObject({ alias: "staging.mycourse.example.com", deploymentId: "app-deployment-id" });
    // The project domain puts the domain in the team (in this environment's own project, which never deploys to
    // production) before the alias claims it.
    expect(mocks.ofType(PROJECT_DOMAIN).map((d) => d.inputs.domain)).toEqual(["staging.mycourse.example.com"]);
    expect(one(ALIAS)?.dependsOn).toContain("app-domain");
    expect(await valueOf(outputs.url)).toBe("https://staging.mycourse.example.com");
  });

  it("serves a production release on its project domain, which Vercel assigns to production deployments", async () => {
    const outputs = await build(saas());
    expect(one(DEPLOYMENT)?.inputs.production).toBe(true);
    expect(mocks.ofType(PROJECT_DOMAIN).map((d) => d.inputs.domain)).toEqual(["mycourse.example.com"]);
    expect(mocks.ofType(ALIAS)).toHaveLength(0);
    // The domain exists before the deployment, so Vercel assigns it to this release when it is made.
    expect(one(DEPLOYMENT)?.dependsOn).toContain("app-domain");
    expect(await valueOf(outputs.url)).toBe("https://mycourse.example.com");
  });
});

describe("Vercel protection: explicit, and the reported URL reaches the audience the spec asks for", () => {
  const cases = ENVIRONMENT_TIERS.flatMap((tier) => [true, false].flatMap((isPublic) => [null, "app.mycourse.example.com"].map((domain) => ({ tier, isPublic, domain }))));

  it.each(cases)("$tier, public $isPublic, domain $domain", async ({ tier, isPublic, domain }: { tier: EnvironmentTier; isPublic: boolean; domain: string | null }) => {
    const outputs = await buildWithProductionAliases(saas({ tier, public: isPublic, domain }));
    const protection = one(PROJECT)?.inputs.vercelAuthentication as { deploymentType?: string } | undefined;
    expect(protection?.deploymentType, "the protection is left to Vercel's default").toBeDefined();
    expect(PROVIDER_PROTECTION_TYPES).toContain(protection!.deploymentType);

    const url = await valueOf(outputs.url);
    // The deployment's own generated URL, as the shared mocks name it.
    const generated = "https://app-deployment.vercel.app";
    const kind: UrlKind = url === generated ? "generated" : tier === "production" ? "production domain" : "preview domain";
    expect(answersAnyone(protection!.deploymentType!, kind), `${url} (${kind}) under ${protection!.deploymentType}`).toBe(isPublic);
    if (domain) expect(url).toBe(`https://${domain}`);

    // The deploy verifies `urls.app` from outside; a private URL answers 401 there, so it is reported under its own role.
    const urls = outputs.urls as Record<string, pulumi.Input<string>>;
    if (isPublic) expect(await valueOf(urls.app!)).toBe(url);
    else {
      expect(urls.app).toBeUndefined();
      expect(await valueOf(urls.protected_app!)).toBe(url);
    }
  });

  it("keeps a public production's generated per-release URLs, older releases' included, behind the login", async () => {
    await build(saas({ public: true }));
    expect((one(PROJECT)?.inputs.vercelAuthentication as { deploymentType: string }).deploymentType).toBe("standard_protection_new");
  });

  it("reports a production release without a domain on a production domain Vercel assigned, not its generated URL", () => {
    const generated = "https://mycourse-production-k3j2h1-acme.vercel.app";
    expect(productionDomainUrl(["mycourse-production-acme.vercel.app", "mycourse-production.vercel.app", generated], generated, "mycourse-production")).toBe(
      "https://mycourse-production.vercel.app",
    );
    // The name was taken elsewhere: Vercel suffixed it; the shortest production alias wins over the team-scoped one.
    expect(productionDomainUrl(["mycourse-production-acme.vercel.app", "mycourse-production-x7.vercel.app"], generated, "mycourse-production")).toBe(
      "https://mycourse-production-x7.vercel.app",
    );
    expect(productionDomainUrl([], generated, "mycourse-production")).toBe(generated);
  });
});

describe("Vercel regions: the functions' region is a real Vercel region, set through the current field", () => {
  it("maps every generic region of the catalog to one of Vercel's region ids", () => {
    const regions = loadCatalog().targets.vercel.regions;
    expect(Object.entries(regions).filter(([, code]) => !VERCEL_REGIONS.has(code!))).toEqual([]);
  });

  it("sets resourceConfig.functionDefaultRegions, not the deprecated serverlessFunctionRegion", async () => {
    const spec = saas();
    await build(spec);
    const inputs = one(PROJECT)!.inputs;
    expect(inputs.serverlessFunctionRegion).toBeUndefined();
    expect(inputs.resourceConfig).toMatchObject({ functionDefaultRegions: [spec.region] });
    expect(VERCEL_REGIONS).toContain(spec.region);
  });
});
