import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, isolateEnvironment, MockSecret, valueOf, type RecordedResource } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";
import { RELEASE_MARKER_KEY } from "../../src/components/site-marker";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/gcp/index")).buildGcp);
isolateEnvironment(["GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT"]);

const gcpResources = () => mocks.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));

function expectAllThroughProvider(resources: readonly RecordedResource[], expected: Record<string, unknown>): void {
  expect(resources.length).toBeGreaterThan(0);
  for (const resource of resources) {
    expect(resource.provider?.type, resource.name).toBe("pulumi:providers:gcp");
    expect(resource.provider?.inputs, resource.name).toMatchObject(expected);
  }
}

const cloudRun = (overrides: Partial<StackSpec> = {}) => exampleSpec("gcp-cloud-run.yaml", { artifact: EXAMPLE_BUNDLE, ...overrides });
const service = () => mocks.ofType("gcp:cloudrunv2/service:Service")[0]!;
const container = () => (service().inputs.template as { containers: Record<string, unknown>[] }).containers[0]!;

/** A bundle directory with the given files (path -> content), in a fresh temporary directory. */
function bundleWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gcp-bundle-"));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

describe("GCP target: one explicit provider", () => {
  it("puts every GCP resource and invoke through one provider in the spec's project and region", async () => {
    await build(cloudRun({ target_settings: { gcp_project: "acme-prod-123", vercel_team: null, docker_host: null } }));
    expect(mocks.ofType("pulumi:providers:gcp")).toHaveLength(1);
    expectAllThroughProvider(gcpResources(), { project: "acme-prod-123", region: "us-east1" });
    const config = mocks.invokes.find((i) => i.token === "gcp:organizations/getClientConfig:getClientConfig");
    expect(config?.provider?.inputs).toMatchObject({ project: "acme-prod-123", region: "us-east1" });
  });

  it("takes the project from GOOGLE_PROJECT, else GOOGLE_CLOUD_PROJECT, when the spec names none", async () => {
    process.env.GOOGLE_CLOUD_PROJECT = "from-cloud-project";
    await build(cloudRun());
    expect(mocks.ofType("pulumi:providers:gcp")[0]?.inputs.project).toBe("from-cloud-project");
    process.env.GOOGLE_PROJECT = "from-google-project";
    await build(cloudRun());
    expect(mocks.ofType("pulumi:providers:gcp")[0]?.inputs.project).toBe("from-google-project");
  });
});

describe("GCP target: container service", () => {
  it("runs Cloud Run with secrets by reference to Secret Manager, private unless the spec is public", async () => {
    await build(cloudRun());
    const byName = Object.fromEntries((container().envs as { name: string; value?: string; valueSource?: unknown }[]).map((e) => [e.name, e]));
    for (const name of ["OPENAI_API_KEY", "DATABASE_URL", "REDIS_URL"]) {
      expect(byName[name]?.valueSource, name).toMatchObject({ secretKeyRef: {} });
      expect(byName[name]?.value, name).toBeUndefined();
    }
    expect(service().inputs.template).toMatchObject({ scaling: { minInstanceCount: 2, maxInstanceCount: 10 } });
    expect(service().inputs.invokerIamDisabled).toBe(false);
    expect(mocks.ofType("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")).toEqual([]);
    for (const version of mocks.ofType("gcp:secretmanager/secretVersion:SecretVersion")) expect(version.inputs.secretData, version.name).toBeInstanceOf(MockSecret);
  });

  it("makes a public service public by turning off the invoker check, with no allUsers binding (refused under domain restricted sharing)", async () => {
    await build(cloudRun({ public: true }));
    expect(service().inputs.invokerIamDisabled).toBe(true);
    const members = mocks.resources.filter((r) => JSON.stringify(r.inputs).includes("allUsers"));
    expect(members.map((r) => r.name)).toEqual([]);
  });

  it("starts the service only once its identity may read every secret and open its Cloud SQL sockets", async () => {
    await build(cloudRun());
    const bindings = [...mocks.ofType("gcp:secretmanager/secretIamMember:SecretIamMember"), ...mocks.ofType("gcp:projects/iAMMember:IAMMember")];
    expect(bindings.map((b) => b.name).sort()).toEqual(["app-secret-database_url-access", "app-secret-openai_api_key-access", "app-secret-redis_url-access", "app-sql-client"]);
    expect(service().dependsOn.slice().sort()).toEqual(bindings.map((b) => b.name).sort());
  });

  it("pushes the image to the region's Artifact Registry with the mocked access token, tagged by the release's bundle", async () => {
    await build(cloudRun());
    const image = mocks.ofType("docker:index/image:Image")[0]!;
    expect(image.inputs.registry).toEqual(new MockSecret({ server: "us-east1-docker.pkg.dev", username: "oauth2accesstoken", password: "mock-gcp-access-token" }));
    expect(image.inputs.imageName).toMatch(/^us-east1-docker\.pkg\.dev\/.+\/ledger-production\/ledger-production:release-aaaaaaaaaaaa$/);
    await build(cloudRun({ artifact: { ...EXAMPLE_BUNDLE, digest: `sha256:${"b".repeat(64)}` } }));
    expect(mocks.ofType("docker:index/image:Image")[0]!.inputs.imageName).toMatch(/:release-bbbbbbbbbbbb$/);
  });

  it("builds a Node.js bundle without a Dockerfile from a generated one, and a bundle's own Dockerfile as it is", async () => {
    await build(cloudRun());
    const generated = mocks.ofType("docker:index/image:Image")[0]!.inputs.build as { context: string; dockerfile: string };
    expect(generated.context).toBe(EXAMPLE_BUNDLE.path);
    expect(readFileSync(generated.dockerfile, "utf8")).toMatch(/^FROM node:/);
    const own = bundleWith({ Dockerfile: "FROM scratch\n", "server.js": "" });
    await build(cloudRun({ artifact: { ...EXAMPLE_BUNDLE, path: own } }));
    expect(mocks.ofType("docker:index/image:Image")[0]!.inputs.build).toMatchObject({ context: own, dockerfile: path.join(own, "Dockerfile") });
  });
});

describe("GCP target: instance sizes Cloud Run accepts", () => {
  // Cloud Run's services documentation: whole vCPUs of 1, 2, 4, 6 or 8 (below 1 needs a concurrency of 1); memory
  // over 4 GiB needs 2 vCPUs, over 8 GiB 4, over 16 GiB 6, over 24 GiB 8; 4 vCPUs need 2 GiB and 6 or 8 need 4 GiB;
  // 512 MiB at the least.
  const accepted = (cpu: number, memoryMb: number) =>
    [1, 2, 4, 6, 8].includes(cpu) &&
    memoryMb >= 512 &&
    memoryMb <= 32768 &&
    cpu >= (memoryMb > 24576 ? 8 : memoryMb > 16384 ? 6 : memoryMb > 8192 ? 4 : memoryMb > 4096 ? 2 : 1) &&
    memoryMb >= (cpu >= 6 ? 4096 : cpu >= 4 ? 2048 : 512);

  it.each([
    [0.25, 256],
    [0.5, 1024],
    [1, 1024],
    [1, 8192],
    [3, 1024],
    [6, 2048],
    [1, 32768],
  ])("runs a spec of %s vCPU with %s MiB at a size Cloud Run accepts, at least as large", async (cpu, memoryMb) => {
    await build(cloudRun({ resources: { cpu, memory_mb: memoryMb, min_instances: 1, max_instances: 2 } }));
    const limits = (container().resources as { limits: { cpu: string; memory: string } }).limits;
    const runs = { cpu: Number(limits.cpu), memoryMb: Number(limits.memory.replace(/Mi$/, "")) };
    expect(accepted(runs.cpu, runs.memoryMb), JSON.stringify(limits)).toBe(true);
    expect(runs.cpu).toBeGreaterThanOrEqual(cpu);
    expect(runs.memoryMb).toBeGreaterThanOrEqual(memoryMb);
  });
});

describe("GCP target: static site", () => {
  const staticSpec = (bundle: string, overrides: Partial<StackSpec> = {}) =>
    exampleSpec("aws-static-site.json", { target: "gcp", region: "us-east1", artifact: { digest: `sha256:${"a".repeat(64)}`, path: bundle }, ...overrides });

  it("puts a static site in a bucket behind a load balancer with Cloud CDN", async () => {
    const outputs = await build(staticSpec(bundleWith({ "dist/index.html": "<h1>hi</h1>" })));
    expect(mocks.ofType("gcp:compute/backendBucket:BackendBucket")[0]?.inputs).toMatchObject({ enableCdn: true });
    expect(mocks.ofType("gcp:compute/managedSslCertificate:ManagedSslCertificate")[0]?.inputs).toMatchObject({ managed: { domains: ["www.example.com"] } });
    expect(mocks.ofType("gcp:storage/bucket:Bucket")[0]?.inputs).toMatchObject({ uniformBucketLevelAccess: true, forceDestroy: false, location: "US" });
    expectAllThroughProvider(gcpResources(), { region: "us-east1" });
    expect(await valueOf(outputs.url)).toBe("https://www.example.com");
  });

  it("uploads every file of the published directory as one object, with its content type and cache header", async () => {
    const bundle = bundleWith({
      "dist/index.html": "<h1>hi</h1>",
      "dist/assets/app.3f2a9c1b.js": "console.log(1)",
      "dist/assets/logo.svg": "<svg/>",
      "dist/about/index.html": "<h1>about</h1>",
      "src/main.ts": "not published",
    });
    await build(staticSpec(bundle));
    const all = mocks.ofType("gcp:storage/bucketObject:BucketObject");
    const objects = all.filter((o) => o.inputs.name !== RELEASE_MARKER_KEY);
    const bucket = mocks.ofType("gcp:storage/bucket:Bucket")[0]!;
    // Beside the files, never cached, the marker naming the stack and the release its URL serves.
    const marker = all.find((o) => o.inputs.name === RELEASE_MARKER_KEY)!;
    expect(marker.inputs).toMatchObject({ bucket: bucket.inputs.name, cacheControl: "no-cache" });
    // The provider marks an object's content secret; the marker names only the stack and its bundle's digest.
    expect(JSON.stringify(marker.inputs.content)).toContain(JSON.stringify(JSON.stringify({ stack: staticSpec(bundle).stack })).slice(1, -3));
    expect(objects.map((o) => o.inputs.name).sort()).toEqual(["about/index.html", "assets/app.3f2a9c1b.js", "assets/logo.svg", "index.html"]);
    const byKey = Object.fromEntries(objects.map((o) => [o.inputs.name as string, o.inputs]));
    expect(byKey["index.html"]).toMatchObject({ bucket: bucket.inputs.name, contentType: "text/html; charset=utf-8", cacheControl: "public, max-age=0, must-revalidate" });
    expect(byKey["assets/app.3f2a9c1b.js"]).toMatchObject({ contentType: "text/javascript; charset=utf-8", cacheControl: "public, max-age=31536000, immutable" });
    expect(byKey["assets/logo.svg"]).toMatchObject({ contentType: "image/svg+xml" });
    for (const object of objects) {
      const source = object.inputs.source as pulumi.asset.FileAsset;
      expect(source, String(object.inputs.name)).toBeInstanceOf(pulumi.asset.FileAsset);
      expect(await source.path).toBe(path.join(bundle, "dist", String(object.inputs.name)));
    }
  });

  it("names a not-found page only when the site has a 404.html", async () => {
    await build(staticSpec(bundleWith({ "dist/index.html": "<h1>hi</h1>" })));
    expect(mocks.ofType("gcp:storage/bucket:Bucket")[0]!.inputs.website).toEqual({ mainPageSuffix: "index.html" });
    await build(staticSpec(bundleWith({ "dist/index.html": "<h1>hi</h1>", "dist/404.html": "<h1>gone</h1>" })));
    expect(mocks.ofType("gcp:storage/bucket:Bucket")[0]!.inputs.website).toEqual({ mainPageSuffix: "index.html", notFoundPage: "404.html" });
  });

  it("refuses a published directory without index.html before declaring anything", async () => {
    await expect(build(staticSpec(bundleWith({ "dist/home.html": "<h1>hi</h1>" })))).rejects.toThrow(/no index\.html/);
    // The stack's provider was declared before the listing failed; its registration must finish within this test.
    await mocks.settle();
    expect(mocks.ofType("gcp:storage/bucketObject:BucketObject")).toEqual([]);
  });
});

describe("GCP target: regions", () => {
  it.each(regionSpellings("gcp"))("puts every resource of a request naming $label in $expected", async ({ requested, expected }) => {
    const spec = plannedSpec(requestIn("gcp", requested, { deployment_type: "api", tech_stack: ["Express", "PostgreSQL"] }), { artifact: EXAMPLE_BUNDLE });
    expect(spec.region).toBe(expected);
    await build(spec);
    expect(mocks.ofType("pulumi:providers:gcp")).toHaveLength(1);
    expectAllThroughProvider(gcpResources(), { region: expected });
    expect(mocks.ofType("gcp:cloudrunv2/service:Service")[0]?.inputs.location).toBe(expected);
  });
});
