import path from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { plan } from "../../src/planner/plan";
import { parseRequestText } from "../../src/planner/input";
import type { StackSpec } from "../../src/planner/spec";
import { previewOffline, type OfflinePreview, type OfflineResource } from "../../src/stacks/offline-preview";

// These tests run the real components under Pulumi's mocks (no cloud is reachable here): they check the resource
// graph and the inputs that matter, and that no secret reaches a resource without Pulumi's secret marking.

const ROOT = path.resolve(__dirname, "..", "..");

function specOf(file: string, overrides: Partial<StackSpec> = {}): StackSpec {
  const parsed = parseRequestText(readFileSync(path.join(ROOT, "examples", "requests", file), "utf8"));
  if (!parsed.ok) throw new Error(parsed.failure.reason);
  const result = plan(parsed.request, { baseDir: path.join(ROOT, "examples", "requests") });
  if (result.status !== "planned") throw new Error(JSON.stringify(result));
  return {
    ...result.spec,
    artifact: { digest: `sha256:${"a".repeat(64)}`, path: path.join(ROOT, "examples", "apps", "node-server") },
    ...overrides,
  };
}

const ofType = (preview: OfflinePreview, type: string): OfflineResource[] => preview.resources.filter((r) => r.type === type);

function expectNoUnprotectedSecret(preview: OfflinePreview): void {
  expect(JSON.stringify(preview.resources)).not.toContain("[UNPROTECTED SECRET]");
}

describe("Vercel target under mocks", () => {
  it("declares a project in the mapped region, one variable per env var and secret, a deployment and the domain", async () => {
    const spec = specOf("vercel-nextjs-saas.json");
    const preview = await previewOffline(spec);
    const [project] = ofType(preview, "vercel:index/project:Project");
    expect(project?.inputs).toMatchObject({ name: "mycourse-production", framework: "nextjs", serverlessFunctionRegion: "fra1" });
    const variables = ofType(preview, "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    expect(variables).toHaveLength(Object.keys(spec.env).length + spec.secrets.length);
    expect(variables.every((v) => JSON.stringify(v.inputs.targets) === '["production"]')).toBe(true);
    expect(ofType(preview, "vercel:index/deployment:Deployment")[0]?.inputs).toMatchObject({ production: true });
    expect(ofType(preview, "vercel:index/projectDomain:ProjectDomain")[0]?.inputs).toMatchObject({ domain: "mycourse.example.com" });
    expectNoUnprotectedSecret(preview);
  });

  it("marks every variable that holds a secret as sensitive and keeps its value secret", async () => {
    const spec = specOf("vercel-nextjs-saas.json");
    const preview = await previewOffline(spec);
    const variables = ofType(preview, "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    for (const secret of spec.secrets) {
      const variable = variables.find((v) => v.inputs.key === secret.name);
      expect(variable?.inputs, secret.name).toMatchObject({ sensitive: true, value: "[secret]" });
    }
  });

  it("scopes a preview environment's variables to Vercel's preview environment", async () => {
    const preview = await previewOffline(specOf("preview-pr.json"));
    const variables = ofType(preview, "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable");
    expect(variables.length).toBeGreaterThan(0);
    expect(variables.every((v) => JSON.stringify(v.inputs.targets) === '["preview"]')).toBe(true);
    expect(ofType(preview, "vercel:index/deployment:Deployment")[0]?.inputs).toMatchObject({ production: false });
  });
});

describe("Docker target under mocks", () => {
  it("builds the image from the bundle and runs it with a health check, published port and its env", async () => {
    const spec = specOf("docker-fullstack.yaml");
    const preview = await previewOffline(spec);
    const [image] = ofType(preview, "docker:index/image:Image");
    expect(image?.inputs).toMatchObject({ imageName: "shop-api-staging:latest", skipPush: true });
    const app = ofType(preview, "docker:index/container:Container").find((c) => c.name === "app-container");
    expect(app?.inputs.healthcheck).toMatchObject({ tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1"] });
    expect(app?.inputs.ports).toEqual([{ internal: 3000, external: 3000 }]);
    // The datastores' connection strings embed generated passwords, which exist only once deployed.
    expect(app?.inputs.envs).toEqual(["LOG_LEVEL=info", "(known after deploy)", "(known after deploy)", "PORT=3000"]);
    expectNoUnprotectedSecret(preview);
  });

  it("runs each datastore from its official image on the private network with a volume", async () => {
    const preview = await previewOffline(specOf("docker-fullstack.yaml"));
    expect(ofType(preview, "docker:index/remoteImage:RemoteImage").map((i) => i.inputs.name)).toEqual(["postgres:16-alpine", "redis:7-alpine"]);
    expect(ofType(preview, "docker:index/volume:Volume")).toHaveLength(2);
    expect(ofType(preview, "docker:index/network:Network")).toHaveLength(1);
    const postgres = ofType(preview, "docker:index/container:Container").find((c) => c.name === "app-postgres-container");
    expect(postgres?.inputs.volumes).toEqual([{ volumeName: "shop-api-staging-postgres-data", containerPath: "/var/lib/postgresql/data" }]);
  });
});

describe("AWS target under mocks", () => {
  it("serves a static site from a private bucket through CloudFront with origin access control over HTTPS", async () => {
    const preview = await previewOffline(specOf("aws-static-site.json", { artifact: null }));
    expect(ofType(preview, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(ofType(preview, "aws:cloudfront/originAccessControl:OriginAccessControl")[0]?.inputs).toMatchObject({ signingBehavior: "always" });
    const cdn = ofType(preview, "aws:cloudfront/distribution:Distribution")[0];
    expect(cdn?.inputs).toMatchObject({ defaultCacheBehavior: { viewerProtocolPolicy: "redirect-to-https" }, aliases: ["www.example.com"] });
    const bucket = ofType(preview, "aws:s3/bucket:Bucket")[0];
    expect(bucket?.inputs).toMatchObject({ forceDestroy: false, tags: { "deployment-planner:stack": "marketing.production" } });
  });

  it("runs a container on App Runner with secrets referenced from Secrets Manager, never as plain variables", async () => {
    const spec = specOf("aws-container-api.json");
    const preview = await previewOffline(spec);
    const [service] = ofType(preview, "aws:apprunner/service:Service");
    const imageConfiguration = (service?.inputs.sourceConfiguration as { imageRepository: { imageConfiguration: Record<string, Record<string, string>> } })
      .imageRepository.imageConfiguration;
    expect(Object.keys(imageConfiguration.runtimeEnvironmentSecrets!).sort()).toEqual(["DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]);
    expect(imageConfiguration.runtimeEnvironmentVariables).toEqual({ STRIPE_PUBLISHABLE_KEY: "pk_live_billing" });
    expect(ofType(preview, "aws:secretsmanager/secretVersion:SecretVersion").map((v) => v.inputs.secretString)).toContain("[secret]");
    expectNoUnprotectedSecret(preview);
  });

  it("creates RDS and ElastiCache with deletion protection and encryption in production, and tags everything", async () => {
    const preview = await previewOffline(specOf("aws-container-api.json"));
    expect(ofType(preview, "aws:rds/instance:Instance")[0]?.inputs).toMatchObject({ engine: "postgres", deletionProtection: true, storageEncrypted: true, publiclyAccessible: false });
    expect(ofType(preview, "aws:elasticache/replicationGroup:ReplicationGroup")[0]?.inputs).toMatchObject({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true });
    const taggable = preview.resources.filter((r) => r.custom && r.type.startsWith("aws:") && !r.type.includes("BucketPolicy") && !r.type.includes("PublicAccessBlock") && !r.type.includes("secretVersion") && !r.type.includes("rolePolicy") && !r.type.includes("originAccessControl"));
    for (const resource of taggable) expect(resource.inputs.tags, resource.name).toMatchObject({ "deployment-planner:project": "billing-api" });
  });
});

describe("GCP target under mocks", () => {
  it("runs Cloud Run with secrets by reference to Secret Manager and no public invoker for a private service", async () => {
    const preview = await previewOffline(specOf("gcp-cloud-run.yaml"));
    const [service] = ofType(preview, "gcp:cloudrunv2/service:Service");
    const container = (service?.inputs.template as { containers: { envs: { name: string; value?: string; valueSource?: unknown }[] }[] }).containers[0]!;
    const byName = Object.fromEntries(container.envs.map((e) => [e.name, e]));
    for (const name of ["OPENAI_API_KEY", "DATABASE_URL", "REDIS_URL"]) {
      expect(byName[name]?.valueSource, name).toMatchObject({ secretKeyRef: {} });
      expect(byName[name]?.value, name).toBeUndefined();
    }
    expect(service?.inputs.template).toMatchObject({ scaling: { minInstanceCount: 2, maxInstanceCount: 10 } });
    expect(ofType(preview, "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")).toEqual([]);
    expectNoUnprotectedSecret(preview);
  });

  it("grants the public invoker only when the spec is public", async () => {
    const preview = await previewOffline(specOf("gcp-cloud-run.yaml", { public: true }));
    expect(ofType(preview, "gcp:cloudrunv2/serviceIamMember:ServiceIamMember")[0]?.inputs).toMatchObject({ role: "roles/run.invoker", member: "allUsers" });
  });

  it("puts a static site in a bucket behind a load balancer with Cloud CDN", async () => {
    const spec = specOf("aws-static-site.json", { target: "gcp", region: "us-east1", artifact: null });
    const preview = await previewOffline(spec);
    expect(ofType(preview, "gcp:compute/backendBucket:BackendBucket")[0]?.inputs).toMatchObject({ enableCdn: true });
    expect(ofType(preview, "gcp:compute/managedSslCertificate:ManagedSslCertificate")[0]?.inputs).toMatchObject({ managed: { domains: ["www.example.com"] } });
    expect(ofType(preview, "gcp:storage/bucket:Bucket")[0]?.inputs).toMatchObject({ uniformBucketLevelAccess: true, forceDestroy: false });
  });
});

describe("Netlify target under mocks", () => {
  it("declares one site resource with the domain, plain variables, secret variables kept secret and the built directory", async () => {
    const spec = specOf("netlify-astro-site.json", { env: { PUBLIC_API: "https://api.example.com" }, secrets: [{ name: "SENTRY_DSN", ref: "env:SENTRY_DSN", required_by: ["request"] }] });
    const preview = await previewOffline(spec);
    const [site] = ofType(preview, "pulumi-nodejs:dynamic/netlify:Site");
    expect(site?.inputs).toMatchObject({
      name: "docs-site-production",
      customDomain: "docs.example.org",
      env: { PUBLIC_API: "https://api.example.com" },
      secretEnv: "[secret]",
      bundlePath: path.join(ROOT, "examples", "apps", "node-server", "dist"),
    });
    expectNoUnprotectedSecret(preview);
  });
});

describe("Railway target under mocks", () => {
  it("declares one project with its datastores, plain variables and secret variables kept secret", async () => {
    const preview = await previewOffline(specOf("railway-fullstack.json"));
    const [project] = ofType(preview, "pulumi-nodejs:dynamic/railway:Project");
    expect(project?.inputs).toMatchObject({
      name: "crm-app-staging",
      environment: "staging",
      datastores: [
        { engine: "postgres", connectionEnv: "DATABASE_URL" },
        { engine: "redis", connectionEnv: "REDIS_URL" },
      ],
      env: { PORT: "3000", SENDGRID_FROM_EMAIL: "noreply@example.com" },
      secretEnv: "[secret]",
    });
    expectNoUnprotectedSecret(preview);
  });
});
