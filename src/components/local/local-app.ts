import * as pulumi from "@pulumi/pulumi";
import { PackageDynamicResource } from "../dynamic-resource";
import type { CanaryRollout } from "./provider-impl";
import { endpointProvider, releaseProvider } from "./providers";

/** The per-stack supervisor on a stable port (a dynamic resource). */
class LocalEndpoint extends PackageDynamicResource {
  public declare readonly url: pulumi.Output<string>;
  public declare readonly port: pulumi.Output<number>;
  constructor(name: string, props: { stack: string; stateDir: string }, opts: pulumi.CustomResourceOptions) {
    super(endpointProvider, name, { ...props, port: undefined, url: undefined }, opts, "local", "Endpoint");
  }
}

/** One release of the app under the endpoint (a dynamic resource). */
class LocalRelease extends PackageDynamicResource {
  public declare readonly releaseId: pulumi.Output<string>;
  public declare readonly pid: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(releaseProvider, name, { ...props, releaseId: undefined, pid: undefined }, opts, "local", "Release");
  }
}

/** Type token of the component. */
export const LOCAL_APP_TYPE = "planner:local:LocalApp";

/** Arguments of `LocalApp`. */
export interface LocalAppArgs {
  /** Stack the app belongs to; one endpoint (supervisor and port) exists per stack. */
  readonly stack: string;
  /** Directory holding the local target's state for this stack (port file, control socket, logs). */
  readonly stateDir: string;
  /** Absolute path of the unpacked bundle the release runs in. */
  readonly bundlePath: string;
  /** Content digest of the bundle; a new digest means a new release. */
  readonly bundleDigest: string;
  /**
   * Command that starts the server, run with `/bin/sh -c` in the bundle directory with `PORT` set.
   * @default serve the bundle directory as a static site
   * @example "node server.js"
   */
  readonly startCommand?: string | null;
  /** Path that answers 2xx/3xx when the app is healthy. @default "/" */
  readonly healthCheckPath?: string;
  /** Plain environment variables of the app. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret environment variables; they stay Pulumi secrets and reach the app only through its environment. @default none */
  readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * A canary rollout: a new release takes these shares of the traffic step by step, each step gated on its error rate,
   * and is aborted (the old release keeps all traffic) when it fails. @default all traffic at once once healthy
   */
  readonly canary?: CanaryRollout;
}

/**
 * An app served on this machine at a stable `http://127.0.0.1:<port>`: a supervisor process per stack proxies to the
 * current release; a new release starts, passes its health check and takes the traffic before the old one stops.
 * Resource options (`protect`, ...) reach the endpoint; the release is never protected, because every deploy replaces it.
 */
export class LocalApp extends pulumi.ComponentResource {
  /** The stable URL of the app. */
  public readonly url: pulumi.Output<string>;
  /** The id of the release serving now. */
  public readonly releaseId: pulumi.Output<string>;

  constructor(name: string, args: LocalAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LOCAL_APP_TYPE, name, {}, opts);
    if (!args.bundlePath || !args.bundleDigest) throw new Error(`LocalApp ${name}: a packaged bundle is required`);

    const endpoint = this.createEndpoint(name, args);
    const release = this.createRelease(name, args, endpoint.url);

    this.url = endpoint.url;
    this.releaseId = release.releaseId;
    this.registerOutputs({ url: this.url, releaseId: this.releaseId });
  }

  private createEndpoint(name: string, args: LocalAppArgs) {
    return new LocalEndpoint(`${name}-endpoint`, { stack: args.stack, stateDir: args.stateDir }, { parent: this });
  }

  private createRelease(name: string, args: LocalAppArgs, endpointUrl: pulumi.Output<string>) {
    return new LocalRelease(
      `${name}-release`,
      {
        stateDir: args.stateDir,
        cwd: args.bundlePath,
        digest: args.bundleDigest,
        command: args.startCommand ?? null,
        healthPath: args.healthCheckPath ?? "/",
        env: { ...(args.env ?? {}) },
        secretEnv: pulumi.secret(pulumi.output(args.secretEnv ?? {})),
        endpointUrl,
        rollout: args.canary ?? null,
      },
      // Every deploy starts a new release in place of the old one; protecting it would block the next deploy.
      { parent: this, additionalSecretOutputs: ["secretEnv"], protect: false },
    );
  }
}
