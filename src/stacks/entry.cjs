// Entry of the root Pulumi.yaml program (run by pulumi-language-nodejs): loads the TypeScript sources through tsx
// and runs the same program the backend runs inline, with the spec read from the stack's config.
require("tsx/cjs/api").register();

module.exports = (async () => {
  // The target registry loads each target's module with import(), which goes through the ESM loader.
  const { register } = await import("tsx/esm/api");
  register();
  const { programFor, specFromStackConfig } = require("./program.ts");
  return programFor(specFromStackConfig())();
})();
