#!/usr/bin/env node
// The `deployment-planner` command: runs the compiled CLI. Compiled code is cached between runs where Node has its own
// cache (22.1 and later); the Pulumi SDK, the bulk of it, loads only for commands that run the engine.
const { enableCompileCache } = require("node:module");
if (typeof enableCompileCache === "function") enableCompileCache();

let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (error) {
  // Only the entry module itself missing means no build; a module missing deeper down is a broken build, reported as is.
  if (error && error.code === "MODULE_NOT_FOUND" && /^Cannot find module '[^']*dist[\\/]cli[\\/]main(\.js)?'/.test(String(error.message))) {
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
