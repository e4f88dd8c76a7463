import { GCP_RELEASE_PROOF } from "./release-proof";
import { runSteppedCanary } from "./stepped-canary";
import type { TargetRuntime } from "../runtime-types";

/** Cloud Run's runtime: its canary splits traffic between revisions in the service, one engine update per step. */
export const gcpRuntime = {
  identity: GCP_RELEASE_PROOF,
  steppedCanary: runSteppedCanary,
} satisfies TargetRuntime;
