import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { siteFiles, type SiteFile } from "../site-files";
import type { ReleaseMarker } from "../site-marker";
import { aliasRecords, hostedZoneId, hostedZoneName, validatedCertificate } from "./site-domain";

/** Type token of the component. */
export const AWS_STATIC_SITE_TYPE = "planner:aws:StaticSite";

/**
 * CloudFront's managed cache policy "CachingOptimized": cookies and query strings stay out of the cache key, gzip and
 * brotli are served, and the origin's `Cache-Control` sets how long an edge keeps a file, within 1 second to a year.
 * A page served with `max-age=0` is thus asked for again after at most a second, so a redeploy shows without an
 * invalidation, while files named by their content stay cached for a year.
 */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/** The page a missing path is answered with, when the site publishes one. */
export const NOT_FOUND_PAGE = "404.html";

/** Arguments of `StaticSite`. */
export interface StaticSiteArgs {
  /** Directory whose every file is published, with `index.html` at its top (see `siteFiles`). */
  readonly siteDir: string;
  /** Bucket name (globally unique, at most 63 characters). */
  readonly bucketName: string;
  /** Tags put on the bucket, the distribution and the certificate (objects are not tagged). */
  readonly tags: Readonly<Record<string, string>>;
  /** Refuse to delete the bucket while it holds objects (production). @default false: deleted with its objects */
  readonly deletionProtection?: boolean;
  /** A release marker published beside the files (see `site-marker.ts`): how checks tell which release the URL serves. @default none */
  readonly releaseMarker?: ReleaseMarker;
  /**
   * Custom domain, served with an ACM certificate the site requests and validates by DNS, and pointed at the
   * distribution by alias records; its hosted zone (`hostedZone`) must be a public Route 53 zone of the account.
   * @default no custom domain: the site is served on its CloudFront domain
   */
  readonly domain?: string | null;
  /** Route 53 hosted zone holding `domain`. @default the domain's parent (www.example.com: example.com), or the domain itself when it has two labels */
  readonly hostedZone?: string | null;
  /**
   * Provider the domain's certificate is requested through; CloudFront takes ACM certificates from us-east-1 only.
   * @default the provider of the component's options, which must then be in us-east-1
   */
  readonly certificateProvider?: pulumi.ProviderResource;
}

/**
 * A private S3 bucket holding every file of the site, served over HTTPS by CloudFront through origin access control,
 * on its CloudFront domain or a custom domain with its own certificate. Resource options (`protect`, the AWS provider)
 * reach every child but the objects: they are the bundle's files, replaced and removed with each release.
 */
export class StaticSite extends pulumi.ComponentResource {
  /** Name of the bucket the site's files are uploaded to. */
  public readonly bucketName: pulumi.Output<string>;
  /** The site's HTTPS URL: the custom domain's, else CloudFront's. */
  public readonly url: pulumi.Output<string>;
  /** Id of the CloudFront distribution, for cache invalidations. */
  public readonly distributionId: pulumi.Output<string>;

  constructor(name: string, args: StaticSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AWS_STATIC_SITE_TYPE, name, {}, opts);
    // Before anything is declared: a site without its files would answer every visitor with an error.
    // A bundle file where the release marker goes would be two objects of one key: the marker wins.
    const files = siteFiles(args.siteDir).filter((file) => file.key !== args.releaseMarker?.key);
    const tags = { ...args.tags };
    // DNS names are case-insensitive, while the certificate and the aliases compare them as written.
    const domain = args.domain ? args.domain.toLowerCase() : null;

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: args.bucketName, forceDestroy: args.deletionProtection !== true, tags },
      { parent: this },
    );
    // Nothing in the bucket is public: only CloudFront, signing with origin access control, may read it.
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    this.createObjects(name, bucket, files);
    if (args.releaseMarker) {
      // Never cached: it must name the release the site serves now.
      new aws.s3.BucketObjectv2(
        `${name}-release-marker`,
        { bucket: bucket.id, key: args.releaseMarker.key, content: args.releaseMarker.content, contentType: "application/json", cacheControl: "no-cache" },
        { parent: this, protect: false },
      );
    }
    const oac = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      { name: args.bucketName, originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
      { parent: this },
    );
    const zoneId = domain ? hostedZoneId(domain, args.hostedZone || hostedZoneName(domain), { parent: this }) : undefined;
    const certificateArn =
      domain && zoneId ? validatedCertificate(name, { domain, zoneId, tags }, { parent: this, provider: args.certificateProvider }) : undefined;
    const distribution = this.createDistribution(name, { domain, certificateArn, files, bucket, oac, tags });
    if (domain && zoneId) aliasRecords(name, { domain, zoneId, distribution }, { parent: this });
    this.createBucketPolicy(name, bucket, distribution);

    this.bucketName = bucket.bucket;
    this.distributionId = distribution.id;
    this.url = domain ? pulumi.output(`https://${domain}`) : pulumi.interpolate`https://${distribution.domainName}`;
    this.registerOutputs({ bucketName: this.bucketName, url: this.url, distributionId: this.distributionId });
  }

  /**
   * One object per file, with its content type, cache headers and a content hash, so a file whose content changed is
   * uploaded again under the same resource. Objects are never protected: a release that drops or renames a file
   * (every build renames its hashed assets) must be able to delete the old object.
   */
  private createObjects(name: string, bucket: aws.s3.Bucket, files: readonly SiteFile[]): void {
    for (const file of files) {
      new aws.s3.BucketObjectv2(
        `${name}-file-${objectResourceName(file.key)}`,
        {
          bucket: bucket.id,
          key: file.key,
          source: new pulumi.asset.FileAsset(file.source),
          contentType: file.contentType,
          cacheControl: file.cacheControl,
          sourceHash: fileHash(file.source),
        },
        { parent: this, protect: false },
      );
    }
  }

  private createDistribution(
    name: string,
    args: {
      domain: string | null;
      certificateArn: pulumi.Output<string> | undefined;
      files: readonly SiteFile[];
      bucket: aws.s3.Bucket;
      oac: aws.cloudfront.OriginAccessControl;
      tags: Record<string, string>;
    },
  ): aws.cloudfront.Distribution {
    // S3 answers a missing key with 403 to a reader that may not list the bucket, so both statuses mean "not found";
    // without a page of its own, the site leaves CloudFront's answer as it is.
    const notFound = args.files.some((file) => file.key === NOT_FOUND_PAGE)
      ? [403, 404].map((errorCode) => ({ errorCode, responseCode: 404, responsePagePath: `/${NOT_FOUND_PAGE}` }))
      : undefined;
    return new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        isIpv6Enabled: true,
        defaultRootObject: "index.html",
        aliases: args.domain ? [args.domain] : undefined,
        origins: [{ originId: "bucket", domainName: args.bucket.bucketRegionalDomainName, originAccessControlId: args.oac.id }],
        defaultCacheBehavior: {
          targetOriginId: "bucket",
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD", "OPTIONS"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        },
        customErrorResponses: notFound,
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: args.certificateArn
          ? { acmCertificateArn: args.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
          : { cloudfrontDefaultCertificate: true },
        tags: args.tags,
      },
      { parent: this },
    );
  }

  /** Lets this distribution, and nothing else, read the objects. */
  private createBucketPolicy(name: string, bucket: aws.s3.Bucket, distribution: aws.cloudfront.Distribution): void {
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudFrontReadsThroughOriginAccessControl",
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: pulumi.interpolate`${bucket.arn}/*`,
              Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
            },
          ],
        }),
      },
      { parent: this },
    );
  }
}

/** SHA-256 of a file's content, read in chunks so a large asset is never held in memory whole. */
function fileHash(file: string): string {
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(file, "r");
  try {
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) hash.update(chunk.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

// A key made only of these is its own resource name; `~` is not among them, so a name with a hash never equals one.
const PLAIN_KEY = /^[A-Za-z0-9._/-]{1,100}$/;

/**
 * The part of an object's resource name that comes from its key: the key itself when it is short and plain, else a
 * readable part of it and a hash of the whole key, so every key gets a distinct name that stays the same across
 * releases.
 * @example objectResourceName("assets/app.js") === "assets/app.js"
 */
export function objectResourceName(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  const readable = key.replace(/[^A-Za-z0-9._/-]+/g, "-").slice(0, 60);
  return `${readable}~${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}
