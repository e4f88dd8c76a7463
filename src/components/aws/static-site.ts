import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Type token of the component. */
export const AWS_STATIC_SITE_TYPE = "planner:aws:StaticSite";

/** Arguments of `StaticSite`. */
export interface StaticSiteArgs {
  /** Bucket name (globally unique, at most 63 characters). */
  readonly bucketName: string;
  /** Tags put on every resource. */
  readonly tags: Readonly<Record<string, string>>;
  /** Refuse to delete the bucket while it holds objects (production). @default false: deleted with its objects */
  readonly deletionProtection?: boolean;
  /** Custom domain, served with a certificate the user provides. @default the CloudFront domain */
  readonly domain?: string | null;
  /** ACM certificate (us-east-1) for the custom domain. @default CloudFront's own certificate */
  readonly certificateArn?: pulumi.Input<string>;
}

/**
 * A private S3 bucket served over HTTPS by CloudFront through origin access control. Resource options (`protect`, the
 * AWS provider) reach every child.
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
    const tags = { ...args.tags };
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
    const oac = new aws.cloudfront.OriginAccessControl(
      `${name}-oac`,
      { name: args.bucketName, originAccessControlOriginType: "s3", signingBehavior: "always", signingProtocol: "sigv4" },
      { parent: this },
    );
    const distribution = new aws.cloudfront.Distribution(
      `${name}-cdn`,
      {
        enabled: true,
        defaultRootObject: "index.html",
        aliases: args.domain ? [args.domain] : undefined,
        origins: [{ originId: "bucket", domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
        defaultCacheBehavior: {
          targetOriginId: "bucket",
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD", "OPTIONS"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          forwardedValues: { queryString: false, cookies: { forward: "none" } },
        },
        customErrorResponses: [{ errorCode: 404, responseCode: 404, responsePagePath: "/404.html" }],
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate: args.certificateArn
          ? { acmCertificateArn: args.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
          : { cloudfrontDefaultCertificate: true },
        tags,
      },
      { parent: this },
    );
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

    this.bucketName = bucket.bucket;
    this.distributionId = distribution.id;
    this.url = args.domain ? pulumi.output(`https://${args.domain}`) : pulumi.interpolate`https://${distribution.domainName}`;
    this.registerOutputs({ bucketName: this.bucketName, url: this.url, distributionId: this.distributionId });
  }
}
