import type { Target } from "../planner/spec";
import type { TargetBuilder } from "./types";

/** Loads one target's builder. */
export type TargetLoader = () => Promise<TargetBuilder>;

/**
 * The builder of each target, loaded only when a spec uses that target: the cloud SDKs are large, and a local
 * deploy should not pay for loading them. Exhaustive: a target without a builder does not compile.
 */
export const TARGET_BUILDERS = {
  local: async () => (await import("./local/index")).buildLocal,
  docker: async () => (await import("./docker/index")).buildDocker,
  vercel: async () => (await import("./vercel/index")).buildVercel,
  netlify: async () => (await import("./netlify/index")).buildNetlify,
  railway: async () => (await import("./railway/index")).buildRailway,
  aws: async () => (await import("./aws/index")).buildAws,
  gcp: async () => (await import("./gcp/index")).buildGcp,
} satisfies Record<Target, TargetLoader>;
