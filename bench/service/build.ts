import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const packageRoot = path.resolve(__dirname, "..", "..");

/** Builds dist/ when it is missing or older than any source file: the CLI processes run the compiled code. */
export function ensureBuilt(): void {
  const src = path.join(packageRoot, "src");
  const stale = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return stale(full);
      if (!entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) return false;
      const compiled = path.join(packageRoot, "dist", path.relative(src, full)).replace(/\.ts$/, ".js");
      return !existsSync(compiled) || statSync(compiled).mtimeMs < statSync(full).mtimeMs;
    });
  if (!stale(src)) return;
  console.log("building dist/ (missing or older than src/)");
  const built = spawnSync(process.execPath, [path.join(packageRoot, "scripts", "build.cjs")], { stdio: "inherit", timeout: 600_000 });
  if (built.status !== 0) throw new Error("the build failed");
}
