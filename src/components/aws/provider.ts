import * as aws from "@pulumi/aws";
import type { StackSpec } from "../../planner/spec";

/** The one region CloudFront takes viewer certificates from: ACM certificates for CloudFront must be requested there. */
export const CLOUDFRONT_CERTIFICATE_REGION = "us-east-1";

/** An explicit AWS provider in `region`; nothing else is set, so every one of the stack's providers signs in alike. */
function providerIn(name: string, region: string): aws.Provider {
  return new aws.Provider(name, { region: region as aws.Region });
}

/**
 * The stack's one AWS provider, in the spec's region. Every AWS resource of the stack uses it, so nothing depends on
 * the deploying environment's `aws:region` config or `AWS_REGION`.
 */
export function awsProvider(spec: Pick<StackSpec, "region">): aws.Provider {
  return providerIn("aws", spec.region);
}

/**
 * A second AWS provider, pinned to us-east-1 whatever the stack's region, for the ACM certificate of a CloudFront
 * distribution with a custom domain. It takes the same credentials as `awsProvider`; declare it only for a spec with a
 * domain.
 */
export function certificateProvider(): aws.Provider {
  return providerIn(`aws-${CLOUDFRONT_CERTIFICATE_REGION}`, CLOUDFRONT_CERTIFICATE_REGION);
}
