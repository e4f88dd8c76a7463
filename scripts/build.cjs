#!/usr/bin/env node
// Compiles src/ into dist/ (JavaScript and .d.ts) and copies the files the compiled code reads at run time (the
// catalog, the local target's supervisor and static server), then bundles the dashboard's browser app into
// dist/dashboard/public. `--clean` starts from an empty dist/ (before packing).
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
const buildInfo = path.join(root, "node_modules", ".cache", "deployment-planner", "tsconfig.build.tsbuildinfo");

if (process.argv.includes("--clean")) {
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(buildInfo, { force: true });
}
// A dist/ removed by hand leaves the incremental build info claiming nothing changed.
if (!fs.existsSync(path.join(dist, "index.js"))) fs.rmSync(buildInfo, { force: true });

const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The dashboard's browser sources are bundled below, never shipped as they stand.
const dashboardSources = path.join(root, "src", "dashboard", "ui");
const copyAssets = (from, to) => {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (source === dashboardSources) continue;
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyAssets(source, target);
    else if (!entry.name.endsWith(".ts")) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
};
copyAssets(path.join(root, "src"), dist);
// The planner reads its catalog as JSON made from the YAML beside it (parsing the YAML cost every plan ~0.1 s of CPU).
require(path.join(dist, "planner", "catalog-file.js")).writeCompiledCatalog(path.join(dist, "planner"));
// Each dynamic provider's `__provider` text, serialized once here instead of in every deploying process (~0.4 s of CPU).
require(path.join(dist, "components", "serialized-providers-build.js"))
  .writeSerializedProviders(path.join(dist, "components"))
  .then(() => require("./build-dashboard.cjs").buildDashboard())
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
