#!/usr/bin/env node
// Loads the TypeScript sources through tsx so the CLI runs straight from a clone after `npm install`:
// the CommonJS hook for require(), the ESM hook for the dynamic import() of each target's module.
require("tsx/cjs/api").register();

async function main() {
  const { register } = await import("tsx/esm/api");
  register();
  const { runCli } = require("../src/cli/main.ts");
  process.exitCode = await runCli(process.argv.slice(2));
}

main().catch((error) => {
  process.stderr.write(`deployment-planner: internal error: ${error && error.message ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
