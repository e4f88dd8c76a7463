import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { fitCloudRunSize } from "../../planner/rules/gcp-compute";
import type { ContainerServiceArgs } from "../container-service";
import type { TrafficStep } from "../types";
import { CLOUD_SQL_SOCKET_DIR } from "./datastore";
import { revisionName, servingRevision, stepSplits, trafficTargets } from "./revisions";

/** Type token of the component. */
export const GCP_CLOUD_RUN_SERVICE_TYPE = "planner:gcp:CloudRunService";

/** Arguments of `CloudRunService`. */
export interface CloudRunServiceArgs extends ContainerServiceArgs {
  /** Region of the service and its image repository, e.g. "us-central1". */
  readonly region: string;
  /** Let anyone invoke it (Cloud Run's invoker check turned off). @default only callers granted `run.invoker` */
  readonly public?: boolean;
  /** Labels put on every resource that takes them. */
  readonly labels: Readonly<Record<string, string>>;
  /** Absolute path of the Dockerfile the image is built with, inside or outside the bundle. @default the bundle's own Dockerfile */
  readonly dockerfile?: string;
  /** Tag of this release's image in Artifact Registry (the service runs it by digest). @example "release-3f2a9c1b7d4e" */
  readonly imageTag: string;
  /** Cloud SQL connection names (`project:region:instance`) whose sockets the app gets under /cloudsql. @default none */
  readonly sqlInstances?: readonly pulumi.Input<string>[];
  /** VPC network the app sends private-range traffic into (Direct VPC egress), e.g. Memorystore's. @default no VPC egress */
  readonly privateNetwork?: pulumi.Input<string>;
  /**
   * A canary step: the new revision gets `canaryPercent` of the traffic (tag `canary`) and the stable revision the rest
   * (tag `stable`). @default the newest revision takes all traffic
   */
  readonly trafficStep?: TrafficStep;
}

/** Cloud Run's `cpu` and `memory` limits for the sizes asked for, rounded up to a size Cloud Run accepts. */
export function cloudRunLimits(cpu: number, memoryMb: number): { cpu: string; memory: string } {
  const size = fitCloudRunSize(cpu, memoryMb);
  if (!size) throw new Error(`Cloud Run has no instance with ${cpu} vCPU and ${memoryMb} MiB (at most 8 vCPU and 32768 MiB)`);
  return { cpu: String(size.cpu), memory: `${size.memoryMb}Mi` };
}

/**
 * The app as an image in Artifact Registry run by Cloud Run (v2), with its secrets in Secret Manager, connected to its
 * Cloud SQL instances through the Cloud SQL connector and to VPC-only datastores through Direct VPC egress. Each
 * revision is named from its whole template, so a canary step can address it and any change makes a new one.
 * Resource options (`protect`, the GCP provider) reach every child; the image and the secrets' values are never
 * protected, because every release replaces them.
 */
export class CloudRunService extends pulumi.ComponentResource {
  /** The service's HTTPS URL. */
  public readonly url: pulumi.Output<string>;
  /** The name of the revision this template makes (the newest revision). */
  public readonly revision: pulumi.Output<string>;
  /** The URL that reaches only the new revision during a canary step (its `canary` tag), else undefined. */
  public readonly canaryUrl?: pulumi.Output<string>;
  /** The revision this update leaves with the most traffic: the new one, or during a canary step the larger share's. */
  public readonly release: pulumi.Output<string>;
  /** What the release proof asks Cloud Run about: the service (its full resource name) and the newest revision. */
  public readonly releaseProof: { readonly kind: string; readonly service: pulumi.Output<string>; readonly revision: pulumi.Output<string> };

  constructor(name: string, args: CloudRunServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(GCP_CLOUD_RUN_SERVICE_TYPE, name, {}, opts);
    const limits = cloudRunLimits(args.cpu, args.memoryMb);
    const labels = { ...args.labels };
    const account = new gcp.serviceaccount.Account(
      `${name}-identity`,
      { accountId: args.serviceName.slice(0, 30).replace(/-+$/, ""), displayName: `Runs ${args.serviceName}` },
      { parent: this },
    );
    const member = pulumi.interpolate`serviceAccount:${account.email}`;
    const repository = new gcp.artifactregistry.Repository(
      `${name}-repository`,
      { repositoryId: args.serviceName, location: args.region, format: "DOCKER", labels },
      { parent: this },
    );
    const image = this.createImage(name, args, repository);
    const secrets = this.createSecrets(name, args, member, labels);
    const sqlInstances = args.sqlInstances ?? [];
    // The Cloud SQL connector authenticates as the service's identity; without the role the socket refuses it.
    const sqlClient =
      sqlInstances.length > 0
        ? [new gcp.projects.IAMMember(`${name}-sql-client`, { project: account.project, role: "roles/cloudsql.client", member }, { parent: this })]
        : [];

    const template = {
      serviceAccount: account.email,
      scaling: { minInstanceCount: args.minInstances, maxInstanceCount: args.maxInstances },
      containers: [
        {
          image: image.repoDigest,
          ports: { containerPort: args.port },
          resources: { limits },
          envs: [...Object.entries(args.env ?? {}).map(([key, value]) => ({ name: key, value })), ...secrets.envs],
          ...(sqlInstances.length > 0 ? { volumeMounts: [{ name: "cloudsql", mountPath: CLOUD_SQL_SOCKET_DIR }] } : {}),
        },
      ],
      ...(sqlInstances.length > 0 ? { volumes: [{ name: "cloudsql", cloudSqlInstance: { instances: [...sqlInstances] } }] } : {}),
      ...(args.privateNetwork !== undefined
        ? { vpcAccess: { networkInterfaces: [{ network: args.privateNetwork }], egress: "PRIVATE_RANGES_ONLY" } }
        : {}),
    };
    const revision = pulumi.output(template).apply((resolved) => revisionName(args.serviceName, resolved));
    const step = args.trafficStep;
    const service = new gcp.cloudrunv2.Service(
      `${name}-service`,
      {
        name: args.serviceName,
        location: args.region,
        ingress: "INGRESS_TRAFFIC_ALL",
        // Public without an `allUsers` binding, which a domain-restricted-sharing organization policy refuses.
        invokerIamDisabled: args.public === true,
        deletionProtection: args.deletionProtection === true,
        labels,
        traffics: stepSplits(step) ? revision.apply((r) => trafficTargets(r, step)) : trafficTargets(undefined, undefined),
        template: { ...template, revision },
      },
      // The first revision starts as soon as the service exists: it must already be allowed to read its secrets and
      // open its Cloud SQL sockets.
      { parent: this, dependsOn: [...secrets.access, ...sqlClient] },
    );
    this.url = service.uri;
    this.revision = revision;
    // Cloud Run serves a tagged revision at https://<tag>---<service host>; an unchanged template has no canary tag.
    if (stepSplits(step)) {
      this.canaryUrl = pulumi
        .all([service.uri, revision])
        .apply(([uri, r]) => (trafficTargets(r, step).length === 2 ? uri.replace(/^https:\/\//, "https://canary---") : uri));
    }
    this.release = revision.apply((r) => servingRevision(r, step));
    // The provider's id of a Cloud Run v2 service is its resource name, projects/<project>/locations/<region>/services/<name>.
    this.releaseProof = { kind: "cloud_run", service: service.id, revision };
    this.registerOutputs({ url: this.url, revision: this.revision, canaryUrl: this.canaryUrl, release: this.release, releaseProof: this.releaseProof });
  }

  private createImage(name: string, args: CloudRunServiceArgs, repository: gcp.artifactregistry.Repository) {
    const registry = `${args.region}-docker.pkg.dev`;
    const token = gcp.organizations.getClientConfig({ parent: this }).then((config) => config.accessToken);
    return new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${registry}/${repository.project}/${repository.repositoryId}/${args.serviceName}:${args.imageTag}`,
        build: { context: args.bundlePath, ...(args.dockerfile ? { dockerfile: args.dockerfile } : {}), platform: "linux/amd64" },
        registry: { server: registry, username: "oauth2accesstoken", password: pulumi.secret(token) },
      },
      // Every release builds a new image; protecting it would block the next deploy.
      { parent: this, protect: false },
    );
  }

  /**
   * One Secret Manager secret per variable, readable by the service's identity; the container gets references to the
   * exact versions, so a new value is a new version and so a new revision.
   */
  private createSecrets(name: string, args: CloudRunServiceArgs, member: pulumi.Output<string>, labels: Record<string, string>) {
    const envs = [];
    const access = [];
    for (const [key, value] of Object.entries(args.secrets ?? {})) {
      const role = `${name}-secret-${key.toLowerCase()}`;
      const secret = new gcp.secretmanager.Secret(
        role,
        { secretId: `${args.serviceName}-${key.toLowerCase().replace(/_/g, "-")}`, replication: { auto: {} }, labels },
        { parent: this },
      );
      // A changed value replaces the version; protecting it would block that deploy.
      const version = new gcp.secretmanager.SecretVersion(`${role}-value`, { secret: secret.id, secretData: pulumi.secret(value) }, { parent: this, protect: false });
      access.push(new gcp.secretmanager.SecretIamMember(`${role}-access`, { secretId: secret.id, role: "roles/secretmanager.secretAccessor", member }, { parent: this }));
      envs.push({ name: key, valueSource: { secretKeyRef: { secret: secret.secretId, version: version.version } } });
    }
    return { envs, access };
  }
}
