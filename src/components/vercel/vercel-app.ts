import * as pulumi from "@pulumi/pulumi";
import * as vercel from "@pulumiverse/vercel";
import type { EnvironmentTier } from "../../planner/spec";

/** Type token of the component. */
export const VERCEL_APP_TYPE = "planner:vercel:VercelApp";

/** Arguments of `VercelApp`. */
export interface VercelAppArgs {
  /** Vercel project name (lower case, at most 100 characters). */
  readonly projectName: string;
  /** Vercel framework preset, e.g. "nextjs". @default detected by Vercel */
  readonly framework?: string | null;
  /** Region of the serverless functions, e.g. "iad1". */
  readonly functionRegion: string;
  /** Command that installs dependencies. @default detected by Vercel */
  readonly installCommand?: string | null;
  /** Command that builds the app. @default detected by Vercel */
  readonly buildCommand?: string | null;
  /** Directory of the built static files. @default detected by Vercel */
  readonly outputDirectory?: string | null;
  /** Environment tier; sets which Vercel environments the variables apply to and whether the deployment is production. */
  readonly tier: EnvironmentTier;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables, stored as sensitive Vercel variables. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Directory of the bundle to deploy. @default no deployment (the project only) */
  readonly bundlePath?: string | null;
  /** Custom domain. @default the deployment's vercel.app URL */
  readonly domain?: string | null;
}

/** Vercel environments a variable applies to, per tier. */
function vercelTargets(tier: EnvironmentTier): string[] {
  return tier === "production" ? ["production"] : tier === "development" ? ["development"] : ["preview"];
}

/**
 * A Vercel project with its variables, a deployment of the bundle and an optional custom domain. Resource options
 * (`protect`, the Vercel provider and its team) reach every child; the deployment is never protected, because every
 * release replaces it.
 */
export class VercelApp extends pulumi.ComponentResource {
  /** Id of the Vercel project. */
  public readonly projectId: pulumi.Output<string>;
  /** The deployment's URL (or the custom domain's). */
  public readonly url: pulumi.Output<string>;
  /** The project's page in Vercel's dashboard. */
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: VercelAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(VERCEL_APP_TYPE, name, {}, opts);
    const project = this.createProject(name, args);
    const variables = this.createVariables(name, args, project.id);
    const deployment = args.bundlePath ? this.createDeployment(name, args, project.id, variables) : undefined;
    if (args.domain) new vercel.ProjectDomain(`${name}-domain`, { projectId: project.id, domain: args.domain }, { parent: this });

    this.projectId = project.id;
    this.url = args.domain
      ? pulumi.output(`https://${args.domain}`)
      : deployment
        ? deployment.url.apply((u) => (u.startsWith("http") ? u : `https://${u}`))
        : pulumi.output(`https://${args.projectName}.vercel.app`);
    this.dashboardUrl = pulumi.output(`https://vercel.com/dashboard/project/${args.projectName}`);
    this.registerOutputs({ projectId: this.projectId, url: this.url, dashboardUrl: this.dashboardUrl });
  }

  private createProject(name: string, args: VercelAppArgs) {
    return new vercel.Project(
      `${name}-project`,
      {
        name: args.projectName,
        framework: args.framework ?? undefined,
        serverlessFunctionRegion: args.functionRegion,
        installCommand: args.installCommand ?? undefined,
        buildCommand: args.buildCommand ?? undefined,
        outputDirectory: args.outputDirectory ?? undefined,
      },
      { parent: this },
    );
  }

  private createVariables(name: string, args: VercelAppArgs, projectId: pulumi.Output<string>) {
    const targets = vercelTargets(args.tier);
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
          { projectId, key, value: pulumi.secret(value), targets, sensitive: true },
          { parent: this },
        ),
    );
    return [...plain, ...secret];
  }

  private createDeployment(name: string, args: VercelAppArgs, projectId: pulumi.Output<string>, variables: pulumi.Resource[]) {
    // The provider's own data source digests the bundle's files, so only changed files are uploaded.
    const directory = vercel.getProjectDirectoryOutput({ path: args.bundlePath! }, { parent: this });
    return new vercel.Deployment(
      `${name}-deployment`,
      { projectId, files: directory.files, pathPrefix: args.bundlePath!, production: args.tier === "production" },
      // Every release is a new deployment; protecting it would block the next deploy.
      { parent: this, dependsOn: variables, protect: false },
    );
  }
}
