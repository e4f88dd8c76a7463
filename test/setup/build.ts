import { spawnSync } from "node:child_process";
import path from "node:path";

/**
 * Compiles the package into dist/ before any test runs: engine processes load our providers' implementations from
 * the compiled package by name, as they do in a consumer's install, so they must match the sources under test.
 */
export default function setup(): void {
  const root = path.resolve(__dirname, "..", "..");
  const result = spawnSync(process.execPath, [path.join(root, "scripts", "build.cjs")], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`the package build failed:\n${result.stdout}\n${result.stderr}`);
}
