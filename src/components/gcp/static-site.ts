import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { SiteFile } from "../site-files";
import type { ReleaseMarker } from "../site-marker";

/** Type token of the component. */
export const GCP_STATIC_SITE_TYPE = "planner:gcp:StaticSite";

/** Arguments of `StaticSite`. */
export interface GcpStaticSiteArgs {
  /** Bucket name (globally unique, at most 63 characters). */
  readonly bucketName: string;
  /** Bucket location: a region such as "europe-west1" or the "US" multi-region. */
  readonly location: string;
  /** Labels put on the bucket. */
  readonly labels: Readonly<Record<string, string>>;
  /** Every file the site publishes, each uploaded as one object under its key (see `siteFiles`). */
  readonly files: readonly SiteFile[];
  /** Custom domain, served with a Google-managed certificate. @default the load balancer's IP over HTTP */
  readonly domain?: string | null;
  /** Refuse to delete the bucket while it holds objects (production). @default false: deleted with its objects */
  readonly deletionProtection?: boolean;
  /** A release marker published beside the files (see `site-marker.ts`): how checks tell which release the URL serves. @default none */
  readonly releaseMarker?: ReleaseMarker;
}

/**
 * A Cloud Storage bucket holding every file of the site, behind a global HTTP(S) load balancer with Cloud CDN.
 * Resource options (`protect`, the GCP provider) reach every child; the objects are never protected, because a
 * release replaces them.
 */
export class GcpStaticSite extends pulumi.ComponentResource {
  /** The site's URL: the custom domain over HTTPS, else the load balancer's address over HTTP. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: GcpStaticSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_STATIC_SITE_TYPE, name, {}, opts);
    // Cloud Storage serves its own error page when the named one is missing, so only a page the site has is named.
    const hasNotFoundPage = args.files.some((f) => f.key === "404.html");
    const bucket = new gcp.storage.Bucket(
      `${name}-bucket`,
      {
        name: args.bucketName,
        location: args.location,
        uniformBucketLevelAccess: true,
        forceDestroy: args.deletionProtection !== true,
        website: { mainPageSuffix: "index.html", ...(hasNotFoundPage ? { notFoundPage: "404.html" } : {}) },
        labels: { ...args.labels },
      },
      { parent: this },
    );
    // A bundle file where the release marker goes would be two objects of one key: the marker wins.
    for (const file of args.files.filter((f) => f.key !== args.releaseMarker?.key)) {
      new gcp.storage.BucketObject(
        `${name}-file-${file.key}`,
        {
          bucket: bucket.name,
          name: file.key,
          source: new pulumi.asset.FileAsset(file.source),
          contentType: file.contentType,
          cacheControl: file.cacheControl,
        },
        { parent: this, protect: false },
      );
    }
    if (args.releaseMarker) {
      // Never cached: it must name the release the site serves now.
      new gcp.storage.BucketObject(
        `${name}-release-marker`,
        { bucket: bucket.name, name: args.releaseMarker.key, content: args.releaseMarker.content, contentType: "application/json", cacheControl: "no-cache" },
        { parent: this, protect: false },
      );
    }
    // A public site: objects are readable by anyone, listing is not.
    new gcp.storage.BucketIAMMember(`${name}-public-read`, { bucket: bucket.name, role: "roles/storage.objectViewer", member: "allUsers" }, { parent: this });
    const backend = new gcp.compute.BackendBucket(`${name}-backend`, { bucketName: bucket.name, enableCdn: true }, { parent: this });
    const urlMap = new gcp.compute.URLMap(`${name}-urls`, { defaultService: backend.selfLink }, { parent: this });
    const address = new gcp.compute.GlobalAddress(`${name}-address`, {}, { parent: this });
    if (args.domain) {
      const certificate = new gcp.compute.ManagedSslCertificate(`${name}-certificate`, { managed: { domains: [args.domain] } }, { parent: this });
      const proxy = new gcp.compute.TargetHttpsProxy(`${name}-https-proxy`, { urlMap: urlMap.selfLink, sslCertificates: [certificate.selfLink] }, { parent: this });
      new gcp.compute.GlobalForwardingRule(`${name}-https`, { target: proxy.selfLink, ipAddress: address.address, portRange: "443" }, { parent: this });
      this.url = pulumi.output(`https://${args.domain}`);
    } else {
      const proxy = new gcp.compute.TargetHttpProxy(`${name}-http-proxy`, { urlMap: urlMap.selfLink }, { parent: this });
      new gcp.compute.GlobalForwardingRule(`${name}-http`, { target: proxy.selfLink, ipAddress: address.address, portRange: "80" }, { parent: this });
      this.url = pulumi.interpolate`http://${address.address}`;
    }
    this.registerOutputs({ url: this.url });
  }
}
