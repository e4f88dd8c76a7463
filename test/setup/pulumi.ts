import { ensurePulumi } from "../../src/toolchain/pulumi";

/**
 * Finds or builds the pinned Pulumi CLI and language host once for the whole run, so the first `npm test` on a fresh
 * machine sets up the engine by itself. Tests then find it in the cache.
 */
export default async function setup(): Promise<void> {
  const toolchain = await ensurePulumi({
    skipInstaller: process.env.CI === "true",
    onProgress: (line) => process.stderr.write(`[pulumi toolchain] ${line}\n`),
  });
  process.stderr.write(`[pulumi toolchain] ${toolchain.summary}\n`);
  process.env.DEPLOYMENT_PLANNER_PULUMI_BIN = toolchain.binDir;
}
