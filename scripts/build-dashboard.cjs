#!/usr/bin/env node
// Bundles the dashboard's browser app (src/dashboard/ui, Preact and TSX) into dist/dashboard/public: one minified ES
// module app.js, one app.css and index.html. The service serves these three files; nothing else reaches the browser.
const esbuild = require("esbuild");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const source = path.join(root, "src", "dashboard", "ui");
const output = path.join(root, "dist", "dashboard", "public");

/** Builds the app and returns the paths it wrote. */
async function buildDashboard() {
  // Written over in place (no emptied folder in between), so a running service never finds the files missing.
  fs.mkdirSync(output, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(source, "main.tsx") },
    bundle: true,
    format: "esm",
    minify: true,
    target: ["es2022"],
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: path.join(source, "tsconfig.json"),
    outdir: output,
    legalComments: "none",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  await esbuild.build({
    entryPoints: { app: path.join(source, "styles.css") },
    bundle: true,
    minify: true,
    outdir: output,
    logLevel: "warning",
  });
  fs.copyFileSync(path.join(source, "index.html"), path.join(output, "index.html"));
  return ["index.html", "app.js", "app.css"].map((name) => path.join(output, name));
}

module.exports = { buildDashboard };

if (require.main === module) {
  buildDashboard().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
