import * as aws from "@pulumi/aws";
import type { StackSpec } from "../../planner/spec";

/**
 * The stack's one AWS provider, in the spec's region. Every AWS resource of the stack uses it, so nothing depends on
 * the deploying environment's `aws:region` config or `AWS_REGION`.
 */
export function awsProvider(spec: Pick<StackSpec, "region">): aws.Provider {
  return new aws.Provider("aws", { region: spec.region as aws.Region });
}
