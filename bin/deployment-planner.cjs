#!/usr/bin/env node
// Loads the TypeScript sources through tsx so the CLI runs straight from a clone after `npm install`.
require("tsx/cjs/api").register();
const { runCli } = require("../src/cli/main.ts");
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`deployment-planner: internal error: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
