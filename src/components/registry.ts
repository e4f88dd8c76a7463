import type { TargetBuilder, TargetRegistry } from "./types";

// Each target's module is loaded only when a spec uses that target: the cloud SDKs are large, and a local deploy
// should not pay for loading them.
/* eslint-disable @typescript-eslint/no-require-imports */
const buildLocal: TargetBuilder = (spec, context) => (require("./local/index") as typeof import("./local/index")).buildLocal(spec, context);
const buildDocker: TargetBuilder = (spec, context) => (require("./docker/index") as typeof import("./docker/index")).buildDocker(spec, context);
const buildVercel: TargetBuilder = (spec, context) => (require("./vercel/index") as typeof import("./vercel/index")).buildVercel(spec, context);
const buildNetlify: TargetBuilder = (spec, context) =>
  (require("./netlify/index") as typeof import("./netlify/index")).buildNetlify(spec, context);
const buildRailway: TargetBuilder = (spec, context) =>
  (require("./railway/index") as typeof import("./railway/index")).buildRailway(spec, context);
const buildAws: TargetBuilder = (spec, context) => (require("./aws/index") as typeof import("./aws/index")).buildAws(spec, context);
const buildGcp: TargetBuilder = (spec, context) => (require("./gcp/index") as typeof import("./gcp/index")).buildGcp(spec, context);

/** The builder of each target. Exhaustive: a target without a builder does not compile. */
export const TARGET_BUILDERS = {
  local: buildLocal,
  docker: buildDocker,
  vercel: buildVercel,
  netlify: buildNetlify,
  railway: buildRailway,
  aws: buildAws,
  gcp: buildGcp,
} satisfies TargetRegistry;
