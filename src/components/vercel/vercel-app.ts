import * as pulumi from "@pulumi/pulumi";
import * as vercel from "@pulumiverse/vercel";
import type { EnvironmentTier } from "../../planner/spec";
import { productionDomainUrl, vercelProtection, type VercelProtection } from "./access";

/** Type token of the component. */
export const VERCEL_APP_TYPE = "planner:vercel:VercelApp";

/** Arguments of `VercelApp`. */
export interface VercelAppArgs {
  /** Vercel project name (lower case, at most 100 characters). */
  readonly projectName: string;
  /** Vercel framework slug (one of `@vercel/frameworks`, e.g. "nextjs"; see `vercelFramework`). @default null: "Other", no preset */
  readonly framework?: string | null;
  /** Vercel region of the functions, e.g. "iad1". */
  readonly functionRegion: string;
  /** Command that installs dependencies. @default the preset's */
  readonly installCommand?: string | null;
  /** Command that builds the app. @default the preset's */
  readonly buildCommand?: string | null;
  /** Directory of the built static files. @default the preset's */
  readonly outputDirectory?: string | null;
  /** Environment tier: production deploys to Vercel's production environment, every other tier to preview. */
  readonly tier: EnvironmentTier;
  /** Whether anyone may reach the app (true) or only Vercel users with access to the project; sets the protection. */
  readonly public: boolean;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables, stored as sensitive Vercel variables. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Directory of the bundle to deploy. @default no deployment (the project only) */
  readonly bundlePath?: string | null;
  /** Custom domain. @default the deployment's vercel.app URL */
  readonly domain?: string | null;
}

/**
 * The Vercel environment a tier's deployment runs in, which is the one its variables must target to reach it. A
 * deployment is either production or preview; Vercel's `development` environment is read only by `vercel dev` and
 * `vercel env pull` on a developer's machine, never by a deployment, so the development tier deploys to, and scopes its
 * variables to, preview like staging and previews. No variable here targets `development`, where Vercel forbids
 * sensitive variables (the provider: "Variables targeting only `development` must set `sensitive = false`").
 */
export function vercelEnvironment(tier: EnvironmentTier): "production" | "preview" {
  return tier === "production" ? "production" : "preview";
}

/**
 * A Vercel project with its variables, a deployment of the bundle and an optional custom domain. Resource options
 * (`protect`, the Vercel provider and its team) reach every child; the deployment and its alias are never protected,
 * because every release replaces them.
 *
 * Domains: a production release is served on the project's domain (a `ProjectDomain`, which Vercel assigns to every
 * production deployment). A non-production release is a preview deployment, which project domains never serve, so its
 * domain is added to the environment's own project (a `ProjectDomain`, so the domain belongs to the team; that project
 * never has a production deployment) and pointed at this release with an `Alias`.
 *
 * Access: the project's Vercel Authentication scope is always set, from the tier and the spec's `public`
 * (`vercelProtection`), and `url` is one that scope serves to the spec's audience: for a public app a URL it leaves
 * public, for a private one a URL that answers only Vercel users with access to the project (401 to anyone else).
 */
export class VercelApp extends pulumi.ComponentResource {
  /** Id of the Vercel project. */
  public readonly projectId: pulumi.Output<string>;
  /** The URL that serves this release: the custom domain, a production domain, or the deployment's own URL. */
  public readonly url: pulumi.Output<string>;
  /** Whether `url` serves anyone (the spec is public) or only Vercel users with access to the project. */
  public readonly isPublic: boolean;
  /** The project's Vercel Authentication scope. */
  public readonly protection: VercelProtection;
  /** The project's page in Vercel's dashboard. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** Vercel's id of this release's deployment (immutable: a new release is a new deployment); undefined without a bundle. */
  public readonly deploymentId: pulumi.Output<string> | undefined;

  constructor(name: string, args: VercelAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(VERCEL_APP_TYPE, name, {}, opts);
    const production = args.tier === "production";
    this.isPublic = args.public;
    this.protection = vercelProtection({ tier: args.tier, public: args.public, domain: Boolean(args.domain) });
    const project = this.createProject(name, args);
    const variables = this.createVariables(name, args, project.id);
    const domain = args.domain ? new vercel.ProjectDomain(`${name}-domain`, { projectId: project.id, domain: args.domain }, { parent: this }) : undefined;
    // A production deployment gets the project's domains when it is made, so the domain comes first.
    const deployment = args.bundlePath ? this.createDeployment(name, args, project.id, [...variables, ...(production && domain ? [domain] : [])]) : undefined;
    const alias =
      deployment && domain && !production
        ? new vercel.Alias(
            `${name}-alias`,
            { alias: args.domain!, deploymentId: deployment.id },
            // Pointing the alias at the next release is an update; a new domain replaces it, so the old one is removed.
            { parent: this, dependsOn: [domain], protect: false, replaceOnChanges: ["alias"] },
          )
        : undefined;

    this.projectId = project.id;
    this.deploymentId = deployment?.id;
    const deploymentUrl = deployment?.url.apply((u) => (u.startsWith("http") ? u : `https://${u}`));
    if (alias) this.url = alias.alias.apply((host) => `https://${host}`);
    else if (args.domain) this.url = pulumi.output(`https://${args.domain}`);
    else if (deployment && production) this.url = pulumi.all([deployment.domains, deploymentUrl!]).apply(([aliases, url]) => productionDomainUrl(aliases, url, args.projectName));
    else if (deploymentUrl) this.url = deploymentUrl;
    else this.url = pulumi.output(`https://${args.projectName}.vercel.app`);
    this.dashboardUrl = pulumi.output(`https://vercel.com/dashboard/project/${args.projectName}`);
    this.registerOutputs({ projectId: this.projectId, url: this.url, dashboardUrl: this.dashboardUrl, deploymentId: this.deploymentId });
  }

  private createProject(name: string, args: VercelAppArgs) {
    return new vercel.Project(
      `${name}-project`,
      {
        name: args.projectName,
        framework: args.framework ?? undefined,
        // `serverlessFunctionRegion` is deprecated in favour of this list.
        resourceConfig: { functionDefaultRegions: [args.functionRegion] },
        installCommand: args.installCommand ?? undefined,
        buildCommand: args.buildCommand ?? undefined,
        outputDirectory: args.outputDirectory ?? undefined,
        // Always explicit: Vercel's default (Standard Protection) would put every non-production URL behind a login.
        vercelAuthentication: { deploymentType: this.protection },
      },
      { parent: this },
    );
  }

  private createVariables(name: string, args: VercelAppArgs, projectId: pulumi.Output<string>) {
    const targets = [vercelEnvironment(args.tier)];
    const plain = Object.entries(args.env ?? {}).map(
      ([key, value]) =>
        new vercel.ProjectEnvironmentVariable(
          `${name}-env-${key.toLowerCase()}`,
          // The provider requires the flag since v5: plain variables stay readable in Vercel's dashboard.
          { projectId, key, value, targets, sensitive: false },
          { parent: this },
        ),
    );
    const secret = Object.entries(args.secrets ?? {}).map(
      ([key, value]) =>
        new vercel.ProjectEnvironmentVariable(
          `${name}-secret-${key.toLowerCase()}`,
          // Sensitive (write-only once set) is allowed here: the targets are production or preview, never development.
          { projectId, key, value: pulumi.secret(value), targets, sensitive: true },
          { parent: this },
        ),
    );
    return [...plain, ...secret];
  }

  private createDeployment(name: string, args: VercelAppArgs, projectId: pulumi.Output<string>, dependsOn: pulumi.Resource[]) {
    // The provider's own data source digests the bundle's files, so only changed files are uploaded.
    const directory = vercel.getProjectDirectoryOutput({ path: args.bundlePath! }, { parent: this });
    return new vercel.Deployment(
      `${name}-deployment`,
      { projectId, files: directory.files, pathPrefix: args.bundlePath!, production: args.tier === "production" },
      // Every release is a new deployment; protecting it would block the next deploy.
      { parent: this, dependsOn, protect: false },
    );
  }
}
