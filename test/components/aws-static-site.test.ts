import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import type { StackSpec } from "../../src/planner/spec";
import { siteFiles } from "../../src/components/site-files";
import { RELEASE_MARKER_KEY } from "../../src/components/site-marker";
import { installMocks, valueOf, type RecordedResource } from "../support/mocks";
import { buildContextFor, exampleSpec } from "../support/specs";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const { buildAws } = await import("../../src/components/aws/index");
const { objectResourceName } = await import("../../src/components/aws/static-site");
const { hostedZoneName } = await import("../../src/components/aws/site-domain");

const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const CERTIFICATE = "aws:acm/certificate:Certificate";
const RECORD = "aws:route53/record:Record";
const GET_ZONE = "aws:route53/getZone:getZone";

const bundles: string[] = [];
afterAll(() => {
  for (const dir of bundles) rmSync(dir, { recursive: true, force: true });
});

/** A bundle on disk with these files (paths relative to the bundle, `/`-separated). */
function bundle(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "aws-static-site-"));
  bundles.push(dir);
  for (const [file, content] of Object.entries(files)) write(dir, file, content);
  return dir;
}

function write(dir: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
}

// The example publishes its build's `dist` directory; the stack is in eu-west-1 so the us-east-1 provider stands out.
const SITE = {
  "dist/index.html": "<h1>home</h1>",
  "dist/404.html": "<h1>not here</h1>",
  "dist/style.css": "h1 { color: teal }",
  "dist/assets/app.3f2a9c1b.js": "console.log(1)",
  "dist/docs/a b%#.txt": "odd name",
  "src/main.tsx": "not published",
};

function siteSpec(dir: string, overrides: Partial<StackSpec> = {}): StackSpec {
  return exampleSpec("aws-static-site.json", { region: "eu-west-1", artifact: { digest: `sha256:${"d".repeat(64)}`, path: dir }, ...overrides });
}

/** Resource options each resource was declared with, by logical name (before the parent's are inherited). */
const declaredOptions = new Map<string, pulumi.CustomResourceOptions>();

/** Builds the AWS target for `spec` as the program does (`protect` from the spec), recording each resource's options. */
async function deploy(spec: StackSpec) {
  mocks.reset();
  declaredOptions.clear();
  const transformations: pulumi.ResourceTransformation[] = [
    (args) => {
      declaredOptions.set(args.name, args.opts);
      return undefined;
    },
  ];
  const outputs = buildAws(spec, buildContextFor(spec), { protect: spec.protect, transformations });
  await mocks.settle();
  return outputs;
}

// The bundle's files; the release marker the site publishes beside them is checked on its own.
const objects = () => mocks.ofType(OBJECT).filter((o) => o.inputs.key !== RELEASE_MARKER_KEY);
const distribution = () => mocks.ofType(DISTRIBUTION)[0]!.inputs as Record<string, unknown>;
const providerOf = (resource: RecordedResource) => [resource.provider?.name, resource.provider?.inputs.region];
/** The file an object's content is read from: its source must be a file asset. */
async function assetPath(resource: RecordedResource): Promise<string> {
  const source = resource.inputs.source;
  expect(source, resource.name).toBeInstanceOf(pulumi.asset.FileAsset);
  return (source as pulumi.asset.FileAsset).path;
}

describe("AWS static site: the bundle's files are uploaded", () => {
  it("puts every published file in the bucket with its key, content type and cache-control, through the stack's provider", async () => {
    const dir = bundle(SITE);
    await deploy(siteSpec(dir));
    const published = siteFiles(path.join(dir, "dist"));
    expect(objects().map((o) => o.inputs.key).sort()).toEqual(published.map((f) => f.key).sort());
    expect(objects().map((o) => o.inputs.key)).not.toContain("src/main.tsx");
    for (const file of published) {
      const object = objects().find((o) => o.inputs.key === file.key)!;
      expect(object.inputs, file.key).toMatchObject({ bucket: "site-bucket-id", contentType: file.contentType, cacheControl: file.cacheControl });
      expect(await assetPath(object), file.key).toBe(file.source);
      expect(providerOf(object), file.key).toEqual(["aws", "eu-west-1"]);
      // Readable only through the bucket policy: no object carries an ACL of its own.
      expect(object.inputs.acl, file.key).toBeUndefined();
    }
    const byKey = (key: string) => objects().find((o) => o.inputs.key === key)!.inputs;
    expect(byKey("index.html")).toMatchObject({ contentType: "text/html; charset=utf-8", cacheControl: "public, max-age=0, must-revalidate" });
    expect(byKey("assets/app.3f2a9c1b.js")).toMatchObject({ contentType: "text/javascript; charset=utf-8", cacheControl: "public, max-age=31536000, immutable" });
    // Beside them, never cached, the marker naming the stack and the release its URL serves.
    const marker = mocks.ofType(OBJECT).find((o) => o.inputs.key === RELEASE_MARKER_KEY)!;
    expect(marker.inputs).toMatchObject({ bucket: "site-bucket-id", cacheControl: "no-cache", contentType: "application/json" });
    expect(JSON.parse(String(marker.inputs.content))).toEqual({ stack: siteSpec(dir).stack, release: siteSpec(dir).artifact!.digest });
  });

  it("uploads a file again when its content changes, under the same resource name, and leaves the others as they were", async () => {
    const dir = bundle(SITE);
    await deploy(siteSpec(dir));
    const before = new Map(objects().map((o) => [o.name, o.inputs.sourceHash]));
    write(dir, "dist/style.css", "h1 { color: crimson }");
    await deploy(siteSpec(dir));
    const after = new Map(objects().map((o) => [o.name, o.inputs.sourceHash]));
    expect([...after.keys()]).toEqual([...before.keys()]);
    const style = objects().find((o) => o.inputs.key === "style.css")!.name;
    expect(after.get(style)).toBe(createHash("sha256").update("h1 { color: crimson }").digest("hex"));
    expect(after.get(style)).not.toBe(before.get(style));
    for (const [name, hash] of after) if (name !== style) expect(hash, name).toBe(before.get(name));
  });

  it("names every object after its key, distinctly and the same way on every release", async () => {
    await deploy(siteSpec(bundle(SITE)));
    const names = objects().map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("site-file-assets/app.3f2a9c1b.js");
    expect(objectResourceName("docs/a b%#.txt")).toBe(objectResourceName("docs/a b%#.txt"));
    expect(objectResourceName("docs/a b%#.txt")).toMatch(/^docs\/a-b-\.txt~[0-9a-f]{16}$/);
    // Keys that read alike once made safe still get names of their own.
    expect(new Set(["a b.txt", "a-b.txt", "a%b.txt", "a:b.txt"].map(objectResourceName)).size).toBe(4);
    expect(objectResourceName(`${"deep/".repeat(60)}page.html`).length).toBeLessThanOrEqual(80);
  });

  it("never protects the objects, so a production release can delete the files it no longer has", async () => {
    const spec = siteSpec(bundle(SITE), { protect: true });
    await deploy(spec);
    expect(objects().length).toBeGreaterThan(0);
    for (const object of objects()) expect(declaredOptions.get(object.name)?.protect, object.name).toBe(false);
    // The bucket, the distribution and the rest inherit the stack's protection.
    expect(declaredOptions.get("site-bucket")?.protect).toBeUndefined();
    expect(declaredOptions.get("site")?.protect).toBe(true);
  });

  it("refuses a bundle whose published directory is missing, before declaring anything", async () => {
    const dir = bundle({ "index.html": "<h1>not in dist</h1>" });
    await expect(deploy(siteSpec(dir))).rejects.toThrow(/dist is not in the bundle/);
    expect(mocks.ofType("aws:s3/bucket:Bucket")).toHaveLength(0);
  });
});

describe("AWS static site: a private bucket behind CloudFront", () => {
  it("serves a private bucket through CloudFront with origin access control over HTTPS", async () => {
    const outputs = await deploy(siteSpec(bundle(SITE), { region: "us-east-1" }));
    expect(mocks.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(mocks.ofType("aws:cloudfront/originAccessControl:OriginAccessControl")[0]?.inputs).toMatchObject({ signingBehavior: "always" });
    expect(distribution()).toMatchObject({ defaultCacheBehavior: { viewerProtocolPolicy: "redirect-to-https" }, aliases: ["www.example.com"] });
    expect(mocks.ofType("aws:s3/bucket:Bucket")[0]?.inputs).toMatchObject({ forceDestroy: false, tags: { "deployment-planner:stack": "marketing.production" } });
    expect(await valueOf(outputs.url)).toBe("https://www.example.com");
  });

  it("lets only this distribution read the objects", async () => {
    await deploy(siteSpec(bundle(SITE)));
    const policy = JSON.parse(mocks.ofType("aws:s3/bucketPolicy:BucketPolicy")[0]!.inputs.policy as string) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: "arn:aws:mock::123456789012:site-bucket/*",
        Condition: { StringEquals: { "AWS:SourceArn": "arn:aws:mock::123456789012:site-cdn" } },
      }),
    ]);
  });

  it("caches with CloudFront's CachingOptimized policy, which follows each file's Cache-Control from 1 second up", async () => {
    await deploy(siteSpec(bundle(SITE)));
    const behavior = distribution().defaultCacheBehavior as Record<string, unknown>;
    // The managed policy's id, as CloudFront's developer guide lists it.
    expect(behavior.cachePolicyId).toBe("658327ea-f89d-4fab-a63d-7e88639e58f6");
    // A cache policy and the legacy TTL settings exclude each other.
    expect(behavior).not.toHaveProperty("forwardedValues");
    expect(behavior).not.toHaveProperty("defaultTtl");
  });

  it("answers a missing path (S3's 403 as well as 404) with the bundle's 404.html", async () => {
    await deploy(siteSpec(bundle(SITE)));
    expect(distribution().customErrorResponses).toEqual([
      { errorCode: 403, responseCode: 404, responsePagePath: "/404.html" },
      { errorCode: 404, responseCode: 404, responsePagePath: "/404.html" },
    ]);
  });

  it("leaves error responses to CloudFront when the bundle has no 404.html", async () => {
    await deploy(siteSpec(bundle({ "dist/index.html": "<h1>home</h1>" })));
    expect(distribution().customErrorResponses ?? []).toEqual([]);
  });
});

describe("AWS static site: custom domain (CloudFront takes ACM certificates from us-east-1 only)", () => {
  it("aliases => a certificate in us-east-1 through a us-east-1 provider, validated by DNS", async () => {
    await deploy(siteSpec(bundle(SITE)));
    const providers = mocks.ofType("pulumi:providers:aws");
    expect(providers.map((p) => [p.name, p.inputs.region])).toEqual([
      ["aws", "eu-west-1"],
      ["aws-us-east-1", "us-east-1"],
    ]);
    const certificate = mocks.ofType(CERTIFICATE);
    expect(certificate).toHaveLength(1);
    expect(certificate[0]!.inputs).toMatchObject({ domainName: "www.example.com", validationMethod: "DNS" });
    expect(providerOf(certificate[0]!)).toEqual(["aws-us-east-1", "us-east-1"]);
    const validation = mocks.ofType("aws:acm/certificateValidation:CertificateValidation");
    expect(validation.map((v) => [v.inputs.certificateArn, ...providerOf(v)])).toEqual([["arn:aws:mock::123456789012:site-certificate", "aws-us-east-1", "us-east-1"]]);
    expect(distribution().aliases).toEqual(["www.example.com"]);
    expect(distribution().viewerCertificate).toEqual({
      acmCertificateArn: "arn:aws:mock::123456789012:site-certificate",
      sslSupportMethod: "sni-only",
      minimumProtocolVersion: "TLSv1.2_2021",
    });
    // Everything but the certificate stays in the stack's region.
    const rest = mocks.resources.filter((r) => r.custom && r.type.startsWith("aws:") && !r.type.startsWith("aws:acm/"));
    for (const resource of rest) expect(providerOf(resource), resource.name).toEqual(["aws", "eu-west-1"]);
  });

  it("writes ACM's validation record into the domain's Route 53 hosted zone, looked up through the stack's provider", async () => {
    await deploy(siteSpec(bundle(SITE)));
    const lookups = mocks.invokes.filter((i) => i.token === GET_ZONE);
    expect(lookups.map((i) => [i.inputs.name, i.provider?.name])).toEqual([["example.com", "aws"]]);
    const record = mocks.ofType(RECORD).find((r) => r.name === "site-certificate-record")!;
    expect(record.inputs).toMatchObject({ zoneId: "ZMOCKHOSTEDZONE", name: "_mock.www.example.com.", type: "CNAME", records: ["_mock.acm-validations.aws."] });
  });

  it("points the domain at the distribution with IPv4 and IPv6 alias records", async () => {
    await deploy(siteSpec(bundle(SITE)));
    expect(distribution().isIpv6Enabled).toBe(true);
    const aliases = mocks.ofType(RECORD).filter((r) => r.name.startsWith("site-alias-"));
    expect(aliases.map((r) => [r.inputs.type, r.inputs.name, r.inputs.zoneId, r.inputs.aliases])).toEqual(
      ["A", "AAAA"].map((type) => [type, "www.example.com", "ZMOCKHOSTEDZONE", [{ name: "site-cdn.mock.cloudfront.net", zoneId: "ZMOCKCLOUDFRONT", evaluateTargetHealth: false }]]),
    );
  });

  it("looks the hosted zone up as the domain's parent, or as the domain itself when it has two labels", () => {
    expect(hostedZoneName("www.example.com")).toBe("example.com");
    expect(hostedZoneName("docs.shop.example.org")).toBe("shop.example.org");
    expect(hostedZoneName("example.com")).toBe("example.com");
    expect(hostedZoneName("WWW.Example.COM.")).toBe("example.com");
  });

  it("serves a domain written in capitals under its lowercase name", async () => {
    const outputs = await deploy(siteSpec(bundle(SITE), { domain: "WWW.Example.com" }));
    expect(distribution().aliases).toEqual(["www.example.com"]);
    expect(mocks.ofType(CERTIFICATE)[0]!.inputs.domainName).toBe("www.example.com");
    expect(await valueOf(outputs.url)).toBe("https://www.example.com");
  });

  it("without a domain: CloudFront's default certificate, one provider, no certificate and no DNS", async () => {
    const outputs = await deploy(siteSpec(bundle(SITE), { domain: null }));
    expect(mocks.ofType("pulumi:providers:aws").map((p) => p.name)).toEqual(["aws"]);
    expect(distribution().viewerCertificate).toEqual({ cloudfrontDefaultCertificate: true });
    expect(distribution().aliases).toBeUndefined();
    expect(mocks.ofType(CERTIFICATE)).toHaveLength(0);
    expect(mocks.ofType(RECORD)).toHaveLength(0);
    expect(mocks.invokes.filter((i) => i.token === GET_ZONE)).toHaveLength(0);
    expect(await valueOf(outputs.url)).toBe("https://site-cdn.mock.cloudfront.net");
  });
});
