import { readFileSync } from "node:fs";
import path from "node:path";
import { failure, type FailureResult } from "../../outcome";
import type { Target } from "../../planner/spec";
import { PACKAGE_ROOT } from "../../toolchain/pulumi";

/**
 * The provider SDKs each target's components load, beyond `@pulumi/pulumi`. They are optional peer dependencies:
 * a backend installs those of the targets it deploys to (the AWS and GCP SDKs are over 80 MB each), and the local,
 * Netlify and Railway targets need none.
 */
export const TARGET_PACKAGES = {
  local: [],
  netlify: [],
  railway: [],
  docker: ["@pulumi/docker", "@pulumi/random"],
  vercel: ["@pulumiverse/vercel"],
  aws: ["@pulumi/aws", "@pulumi/random"],
  gcp: ["@pulumi/gcp", "@pulumi/random"],
} as const satisfies Record<Target, readonly string[]>;

/** Finds an installed package; throws when it is absent. */
export type PackageResolver = (specifier: string) => string;

function peerRanges(): Record<string, string> {
  try {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { peerDependencies?: Record<string, string> };
    return manifest.peerDependencies ?? {};
  } catch {
    return {};
  }
}

/**
 * Checks that the provider SDKs of a target are installed where this package can load them. A missing one is the
 * failure result with stage `env_setup` and the install command, before any engine process starts.
 */
export function checkTargetPackages(target: Target, resolve: PackageResolver = require.resolve): FailureResult | null {
  const missing = TARGET_PACKAGES[target].filter((name) => {
    try {
      resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return null;
  const ranges = peerRanges();
  const install = missing.map((name) => (ranges[name] ? `${name}@"${ranges[name]}"` : name)).join(" ");
  return failure(
    "env_setup",
    `Missing provider SDK for ${target}: ${missing.join(", ")} is not installed`,
    `Install it beside deployment-planner: npm install ${install}`,
    { problems: missing.map((name) => `${name} is not installed`) },
  );
}
