#!/usr/bin/env node
// The `deployment-planner` command: runs the compiled CLI. Loading the Pulumi SDK dominates a command's start, so
// compiled code is cached between runs (Node's own cache where it has one, else v8-compile-cache).
const { enableCompileCache } = require("node:module");
if (typeof enableCompileCache === "function") enableCompileCache();
else require("v8-compile-cache");

let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main/.test(String(error.message))) {
    process.stderr.write("deployment-planner: the compiled CLI is missing; run `npm run build` in the package first\n");
    process.exit(1);
  }
  throw error;
}

cli.runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`deployment-planner: internal error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
