import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ImageBuild } from "../image-build";

/** The platform every AWS container service here runs: Fargate and App Runner default to x86-64 Linux. */
export const AWS_IMAGE_PLATFORM = "linux/amd64";

/**
 * The tag of a release's image: derived from the bundle's digest and everything else the image is built from (a
 * generated Dockerfile's text, the platform), so a new bundle or a new build gets a new tag while redeploying the same
 * release gives the same one. The repository's tags are immutable, so a tag is never pushed twice with other content.
 */
export function releaseImageTag(bundleDigest: string, build: ImageBuild, platform = AWS_IMAGE_PLATFORM): string {
  // A bundle's own Dockerfile is part of the bundle, so its digest covers it already.
  const dockerfile = build.generated ? readFileSync(build.dockerfile, "utf8") : "bundle Dockerfile";
  const hash = createHash("sha256").update([bundleDigest, platform, dockerfile].join("\n")).digest("hex");
  return `release-${hash.slice(0, 24)}`;
}

/** Arguments of `ecrImage`. */
export interface EcrImageArgs {
  /** Name of the ECR repository. */
  readonly repositoryName: string;
  /** How the image is built from the bundle: the context and the bundle's own or a generated Dockerfile. */
  readonly build: ImageBuild;
  /** The release's tag (see `releaseImageTag`). */
  readonly tag: string;
  /** Keep the repository when it holds images (production). @default false: deleted with its images */
  readonly deletionProtection?: boolean;
  /** Tags put on the repository. */
  readonly tags: Readonly<Record<string, string>>;
}

/** What `ecrImage` declares: the repository, and the image reference to deploy (by digest). */
export interface EcrImage {
  readonly repository: aws.ecr.Repository;
  /** `<repository>@sha256:<digest>` of the pushed image: the exact image this release built. */
  readonly imageDigest: pulumi.Output<string>;
}

/**
 * Declares, under `parent`, an ECR repository with immutable tags and the release's image built from the bundle and
 * pushed to it under its release tag (children `${name}-repository` and `${name}-image`). The registry login uses an
 * ECR authorization token read through the parent's AWS provider.
 */
export function ecrImage(parent: pulumi.Resource, name: string, args: EcrImageArgs): EcrImage {
  const repository = new aws.ecr.Repository(
    `${name}-repository`,
    {
      name: args.repositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: args.deletionProtection !== true,
      tags: { ...args.tags },
    },
    { parent },
  );
  const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent });
  const image = new docker.Image(
    `${name}-image`,
    {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${args.tag}`,
      build: { context: args.build.context, dockerfile: args.build.dockerfile, platform: AWS_IMAGE_PLATFORM },
      registry: { server: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) },
    },
    // Every release builds a new image; protecting it would block the next deploy.
    { parent, protect: false },
  );
  return { repository, imageDigest: image.repoDigest };
}
