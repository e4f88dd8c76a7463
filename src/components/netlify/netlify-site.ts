import * as pulumi from "@pulumi/pulumi";
import { lazyDynamicProvider } from "../dynamic-provider";
import { ApiBackedResource } from "../variables";

const siteProvider = lazyDynamicProvider("netlify", { create: "createSite", read: "readSite", update: "updateSite", delete: "deleteSite", diff: "diffSite" });

/** Arguments of `NetlifySite`. */
export interface NetlifySiteArgs {
  /** Site name (the `<name>.netlify.app` subdomain). */
  readonly name: string;
  /** Custom domain. @default the netlify.app URL */
  readonly customDomain?: string | null;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Secret variables: Pulumi secrets in state, and Netlify secret variables (set for production deploys, readable only
   * by code running on Netlify). @default none
   */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Directory to deploy. @default no deploy */
  readonly bundlePath?: string | null;
  /** Content digest of the directory; a new digest means a new deploy. @default none */
  readonly digest?: string | null;
}

/**
 * A Netlify site with its variables and a file-digest deploy of the bundle, through Netlify's HTTP API. Creating or
 * updating it finishes only when the deploy is live, and fails with Netlify's reason when the deploy fails.
 */
export class NetlifySite extends ApiBackedResource {
  /** Netlify's id of the site. */
  public declare readonly siteId: pulumi.Output<string>;
  /** The site's URL. */
  public declare readonly url: pulumi.Output<string>;
  /** The site's page in Netlify's dashboard. */
  public declare readonly adminUrl: pulumi.Output<string>;
  /** Netlify's id of the deploy the site's last update published; null when it deployed nothing. */
  public declare readonly deployId: pulumi.Output<string | null>;

  constructor(name: string, args: NetlifySiteArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = {
      name: args.name,
      customDomain: args.customDomain ?? null,
      env: args.env,
      secretEnv: args.secretEnv,
      bundlePath: args.bundlePath ?? null,
      digest: args.digest ?? null,
    };
    super(siteProvider, name, inputs, ["siteId", "url", "adminUrl", "deployId"], opts, "netlify", "Site");
  }
}
