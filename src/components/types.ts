import type * as pulumi from "@pulumi/pulumi";
import type { StackSpec } from "../planner/spec";

/**
 * What the program hands a target's builder besides the spec: the secret values, already resolved and wrapped with
 * `pulumi.secret`, keyed by the variable name they are exposed as.
 */
export interface BuildContext {
  readonly secrets: Readonly<Record<string, pulumi.Output<string>>>;
  /** Base name for physical resources, derived from project and environment (`<project_id>-<environment>`). */
  readonly baseName: string;
  /**
   * Absolute path of the unpacked bundle on the deploying machine, for providers that read its files (image builds,
   * file uploads); null when the spec has no artifact. The spec itself records the bundle relative to the workspace.
   */
  readonly bundleDir: string | null;
  /**
   * The canary step a stepped rollout is at, on targets that split traffic in their own service (Cloud Run); absent,
   * the new release takes all traffic.
   */
  readonly trafficStep?: TrafficStep;
}

/** One step of a canary run by the automation layer: the new release's share, and the revision serving before it. */
export interface TrafficStep {
  /** The new release's share of the traffic, in percent (100 ends the rollout; 0 takes it back). */
  readonly canaryPercent: number;
  /** The revision that served before the rollout; null on a first deploy, which takes all traffic. */
  readonly stableRevision: string | null;
}

/** The stack outputs every target produces; the automation layer reads them after `up`. */
export interface TargetOutputs {
  /** The URL the app is served on. */
  readonly url: pulumi.Input<string>;
  /** Where a person manages the deployment (the provider's console), or the app URL when there is none. */
  readonly dashboardUrl: pulumi.Input<string>;
  /** Every URL worth reporting, by role (`app`, `dashboard`, `custom_domain`, ...). */
  readonly urls: Readonly<Record<string, pulumi.Input<string>>>;
  /** The newest revision, on targets whose releases are named revisions (Cloud Run); a stepped canary splits from it. */
  readonly revision?: pulumi.Input<string>;
  /**
   * The id of the release that serves (the local supervisor's release, a Vercel deployment, a Netlify deploy, a
   * container, an image digest, a Cloud Run revision, a static site's bundle digest): health checks and `status`
   * compare the release the target proves with this one.
   */
  readonly release?: pulumi.Input<string>;
  /**
   * What the target's release proof asks its platform about (`src/components/<target>/release-proof.ts`): the
   * deployment's site, service or container ids, and what kind of app serves.
   */
  readonly releaseProof?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * Declares a target's resources for a spec. Must not create resources inside an `apply`. `opts` are the program's
 * resource options (`protect`, ...); the builder adds the stack's explicit provider and hands both to every component.
 */
export type TargetBuilder = (spec: StackSpec, context: BuildContext, opts?: pulumi.ComponentResourceOptions) => TargetOutputs;
