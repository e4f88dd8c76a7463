import * as pulumi from "@pulumi/pulumi";
import { lazyDynamicProvider } from "../dynamic-provider";

const siteProvider = lazyDynamicProvider("netlify", { create: "createSite", read: "readSite", update: "updateSite", delete: "deleteSite", diff: "diffSite" });

/** Arguments of `NetlifySite`. */
export interface NetlifySiteArgs {
  /** Site name (the `<name>.netlify.app` subdomain). */
  readonly name: string;
  /** Custom domain. @default the netlify.app URL */
  readonly customDomain?: string | null;
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables; they stay Pulumi secrets. @default none */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Directory to deploy. @default no deploy */
  readonly bundlePath?: string | null;
  readonly digest?: string | null;
}

/** A Netlify site with its variables and a file-digest deploy of the bundle, through Netlify's HTTP API. */
export class NetlifySite extends pulumi.dynamic.Resource {
  public declare readonly siteId: pulumi.Output<string>;
  public declare readonly url: pulumi.Output<string>;
  public declare readonly adminUrl: pulumi.Output<string>;

  constructor(name: string, args: NetlifySiteArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      siteProvider,
      name,
      {
        name: args.name,
        customDomain: args.customDomain ?? null,
        env: { ...(args.env ?? {}) },
        secretEnv: pulumi.secret(pulumi.output(args.secretEnv ?? {})),
        bundlePath: args.bundlePath ?? null,
        digest: args.digest ?? null,
        siteId: undefined,
        url: undefined,
        adminUrl: undefined,
        deployId: undefined,
      },
      { ...opts, additionalSecretOutputs: ["secretEnv"] },
      "netlify",
      "Site",
    );
  }
}
