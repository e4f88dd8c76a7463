#!/usr/bin/env node
// The `deployment-planner` command: runs the compiled CLI. Compiled code is cached between runs by Node's own cache;
// the Pulumi SDK, the bulk of it, loads only for commands that run the engine.

// The package and its Pulumi SDK need Node.js 22.12 or later (package.json `engines`). An older Node would fail later
// with a syntax or module error far from the cause, so the command says what it needs before loading anything.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `deployment-planner: needs Node.js 22.12 or later (22 or 24 LTS), this is ${process.version}; ` +
      "inside the package's own checkout `npm install` provides Node.js 22 to `npx` and `npm test`\n",
  );
  process.exit(1);
}

const { enableCompileCache } = require("node:module");
enableCompileCache();

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
