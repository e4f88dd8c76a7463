import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { errorText, matchRelease, platformProof, proofValue, unrecorded, type ProofClientOptions } from "../release-proof";
import { siteMarkerRelease } from "../site-marker";
import { awsCredentials, awsJsonCall, type AwsJsonCall } from "./signed-call";

/** Sends one AWS JSON-protocol call and returns its answer; tests answer for AWS here. */
export type AwsCaller = (call: AwsJsonCall) => Promise<unknown>;

/** The caller signing with the deploying environment's credentials. */
function signedCaller(env: NodeJS.ProcessEnv, options: ProofClientOptions): AwsCaller {
  return async (call) => awsJsonCall(call, await awsCredentials(env), env, options);
}

/** The region of an ARN (`arn:aws:<service>:<region>:...`). */
function arnRegion(arn: string): string {
  const region = arn.split(":")[3];
  if (!region) throw new Error(`${arn} is not an ARN with a region`);
  return region;
}

/** App Runner: the image the service runs (`DescribeService`, its image repository's identifier) while it is RUNNING. */
async function appRunnerImage(serviceArn: string, call: AwsCaller): Promise<{ image: string | null; status: string | null }> {
  const answer = (await call({ service: "apprunner", region: arnRegion(serviceArn), target: "AppRunner.DescribeService", jsonVersion: "1.0", body: { ServiceArn: serviceArn } })) as {
    Service?: { Status?: string; SourceConfiguration?: { ImageRepository?: { ImageIdentifier?: string } } };
  };
  return { image: answer.Service?.SourceConfiguration?.ImageRepository?.ImageIdentifier ?? null, status: answer.Service?.Status ?? null };
}

/**
 * ECS: the images of the task definition the service's deployments run (`DescribeServices`, then
 * `DescribeTaskDefinition`). Only a service with one deployment, completed, serves one release.
 */
async function ecsImages(serviceArn: string, cluster: string, call: AwsCaller): Promise<{ images: string[]; settled: boolean }> {
  const ecs = (target: string, body: unknown) => call({ service: "ecs", region: arnRegion(serviceArn), target: `AmazonEC2ContainerServiceV20141113.${target}`, jsonVersion: "1.1", body });
  const described = (await ecs("DescribeServices", { cluster, services: [serviceArn] })) as {
    services?: { deployments?: { status?: string; taskDefinition?: string; rolloutState?: string }[] }[];
  };
  const deployments = described.services?.[0]?.deployments ?? [];
  const primary = deployments.find((deployment) => deployment.status === "PRIMARY");
  if (!primary?.taskDefinition) return { images: [], settled: false };
  const definition = (await ecs("DescribeTaskDefinition", { taskDefinition: primary.taskDefinition })) as { taskDefinition?: { containerDefinitions?: { image?: string }[] } };
  const images = (definition.taskDefinition?.containerDefinitions ?? []).flatMap((container) => (container.image ? [container.image] : []));
  return { images, settled: deployments.length === 1 && primary.rolloutState !== "IN_PROGRESS" && primary.rolloutState !== "FAILED" };
}

/**
 * Which image the stack's AWS container service runs, as the service reports it, compared with the image the release
 * built (`<repository>@sha256:<digest>`, which the program gave the service).
 */
export async function awsServingImage(context: IdentityContext, url: string, call: AwsCaller): Promise<IdentityVerdict> {
  const expected = context.expectedRelease || null;
  const kind = proofValue(context, "kind");
  const serviceArn = proofValue(context, "serviceArn");
  if (expected === null || serviceArn === null) return unrecorded("AWS service and image");
  const host = new URL(url).host;
  try {
    if (kind === "app_runner") {
      const { image, status } = await appRunnerImage(serviceArn, call);
      if (status !== "RUNNING") return { kind: "other_release", release: image, reason: `App Runner reports the service ${status ?? "in no state"}, not RUNNING` };
      return matchRelease(image, expected, "image", host);
    }
    const cluster = proofValue(context, "cluster");
    if (cluster === null) return unrecorded("ECS cluster");
    const { images, settled } = await ecsImages(serviceArn, cluster, call);
    const verdict = matchRelease(images.includes(expected) ? expected : (images[0] ?? null), expected, "image", host);
    if (verdict.kind === "proven" && !settled) return { kind: "other_release", release: expected, reason: `ECS still replaces the tasks of an earlier deployment behind ${host}` };
    return verdict;
  } catch (error) {
    return { kind: "unproven", reason: `AWS could not be asked which image serves ${host}: ${errorText(error)}` };
  }
}

/**
 * The AWS target's proof: App Runner and ECS Express Mode report the image they run, which must be the release's
 * (by digest); a static site's release marker, read through CloudFront, must name the stack's release.
 */
export function awsReleaseProof(options: ProofClientOptions & { readonly call?: AwsCaller } = {}): ReleaseIdentity {
  return platformProof({
    method: "App Runner or ECS reports the image its service runs, which must be the release's image digest; a static site's release marker, read through its URL, must name the stack's release",
    ask: (context, url) =>
      proofValue(context, "kind") === "static_site" ? siteMarkerRelease(context, url, options) : awsServingImage(context, url, options.call ?? signedCaller(context.env ?? process.env, options)),
  });
}

/** The AWS target's proof, signing with the deploying environment's AWS credentials. */
export const AWS_RELEASE_PROOF = awsReleaseProof();
