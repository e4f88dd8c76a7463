import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerServiceArgs } from "../container-service";
import type { TrafficStep } from "../types";

/** Type token of the component. */
export const GCP_CLOUD_RUN_SERVICE_TYPE = "planner:gcp:CloudRunService";

/** Arguments of `CloudRunService`. */
export interface CloudRunServiceArgs extends ContainerServiceArgs {
  /** Region of the service and its image repository, e.g. "us-central1". */
  readonly region: string;
  /** Grant anyone `run.invoker`. @default only authenticated callers may invoke it */
  readonly public?: boolean;
  /** Labels put on every resource that takes them. */
  readonly labels: Readonly<Record<string, string>>;
  /** Suffix of the new revision's name (`<service>-<suffix>`), e.g. from the bundle digest. @default Cloud Run names it */
  readonly revisionSuffix?: string;
  /**
   * A canary step: the new revision gets `canaryPercent` of the traffic (tag `canary`) and the stable revision the rest
   * (tag `stable`). @default the newest revision takes all traffic
   */
  readonly trafficStep?: TrafficStep;
}

/** Cloud Run's traffic targets for a step: a split between two named revisions, or all to the newest one. */
export function trafficTargets(revision: string | undefined, step: TrafficStep | undefined) {
  if (!revision || !step || step.stableRevision === null || step.stableRevision === revision || step.canaryPercent >= 100) {
    return [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }];
  }
  const canary = Math.max(0, Math.min(100, Math.round(step.canaryPercent)));
  return [
    { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: step.stableRevision, percent: 100 - canary, tag: "stable" },
    { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision, percent: canary, tag: "canary" },
  ];
}

/**
 * The app as an image in Artifact Registry run by Cloud Run (v2), with its secrets in Secret Manager. Resource options
 * (`protect`, the GCP provider) reach every child; the image and the secrets' values are never protected, because
 * every release replaces them.
 */
export class CloudRunService extends pulumi.ComponentResource {
  /** The service's HTTPS URL. */
  public readonly url: pulumi.Output<string>;
  /** The newest revision's name. */
  public readonly revision: pulumi.Output<string>;
  /** The URL that reaches only the new revision during a canary step (its `canary` tag), else undefined. */
  public readonly canaryUrl?: pulumi.Output<string>;

  constructor(name: string, args: CloudRunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_CLOUD_RUN_SERVICE_TYPE, name, {}, opts);
    const labels = { ...args.labels };
    const account = new gcp.serviceaccount.Account(
      `${name}-identity`,
      { accountId: args.serviceName.slice(0, 30).replace(/-+$/, ""), displayName: `Runs ${args.serviceName}` },
      { parent: this },
    );
    const repository = new gcp.artifactregistry.Repository(
      `${name}-repository`,
      { repositoryId: args.serviceName, location: args.region, format: "DOCKER", labels },
      { parent: this },
    );
    const image = this.createImage(name, args, repository);
    const secretEnvs = this.createSecrets(name, args, account, labels);
    const revision = args.revisionSuffix ? `${args.serviceName}-${args.revisionSuffix}` : undefined;
    const service = new gcp.cloudrunv2.Service(
      `${name}-service`,
      {
        name: args.serviceName,
        location: args.region,
        ingress: "INGRESS_TRAFFIC_ALL",
        deletionProtection: args.deletionProtection === true,
        labels,
        traffics: trafficTargets(revision, args.trafficStep),
        template: {
          ...(revision ? { revision } : {}),
          serviceAccount: account.email,
          scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
          containers: [
            {
              image: image.repoDigest,
              ports: { containerPort: args.port },
              resources: { limits: { cpu: String(Math.max(1, args.cpu)), memory: `${Math.max(512, args.memoryMb)}Mi` } },
              envs: [...Object.entries(args.env ?? {}).map(([key, value]) => ({ name: key, value })), ...secretEnvs],
            },
          ],
        },
      },
      { parent: this },
    );
    if (args.public) {
      new gcp.cloudrunv2.ServiceIamMember(
        `${name}-public-invoker`,
        { name: service.name, location: args.region, role: "roles/run.invoker", member: "allUsers" },
        { parent: this },
      );
    }
    this.url = service.uri;
    this.revision = revision ? pulumi.output(revision) : service.latestReadyRevision;
    // Cloud Run serves a tagged revision at https://<tag>---<service host>.
    if (trafficTargets(revision, args.trafficStep).length === 2) this.canaryUrl = service.uri.apply((uri) => uri.replace(/^https:\/\//, "https://canary---"));
    this.registerOutputs({ url: this.url, revision: this.revision, canaryUrl: this.canaryUrl });
  }

  private createImage(name: string, args: CloudRunServiceArgs, repository: gcp.artifactregistry.Repository) {
    const registry = `${args.region}-docker.pkg.dev`;
    const token = gcp.organizations.getClientConfig({ parent: this }).then((config) => config.accessToken);
    return new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${registry}/${repository.project}/${repository.repositoryId}/${args.serviceName}:latest`,
        build: { context: args.bundlePath, platform: "linux/amd64" },
        registry: { server: registry, username: "oauth2accesstoken", password: pulumi.secret(token) },
      },
      // Every release builds a new image; protecting it would block the next deploy.
      { parent: this, protect: false },
    );
  }

  /** One Secret Manager secret per variable, readable by the service's identity; the container gets references. */
  private createSecrets(name: string, args: CloudRunServiceArgs, account: gcp.serviceaccount.Account, labels: Record<string, string>) {
    return Object.entries(args.secrets ?? {}).map(([key, value]) => {
      const role = `${name}-secret-${key.toLowerCase()}`;
      const secret = new gcp.secretmanager.Secret(
        role,
        { secretId: `${args.serviceName}-${key.toLowerCase().replace(/_/g, "-")}`, replication: { auto: {} }, labels },
        { parent: this },
      );
      // A changed value replaces the version; protecting it would block that deploy.
      const version = new gcp.secretmanager.SecretVersion(`${role}-value`, { secret: secret.id, secretData: pulumi.secret(value) }, { parent: this, protect: false });
      new gcp.secretmanager.SecretIamMember(
        `${role}-access`,
        { secretId: secret.id, role: "roles/secretmanager.secretAccessor", member: pulumi.interpolate`serviceAccount:${account.email}` },
        { parent: this },
      );
      return { name: key, valueSource: { secretKeyRef: { secret: secret.secretId, version: version.version } } };
    });
  }
}
