import type { TargetRegistry } from "./types";
import { buildLocal } from "./local/index";
import { buildDocker } from "./docker/index";
import { buildVercel } from "./vercel/index";
import { buildNetlify } from "./netlify/index";
import { buildRailway } from "./railway/index";
import { buildAws } from "./aws/index";
import { buildGcp } from "./gcp/index";

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
