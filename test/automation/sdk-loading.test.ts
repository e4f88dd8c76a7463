import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs `script` in a fresh Node process at the package root; its last stdout line is JSON. */
function runFresh(script: string): Record<string, unknown> {
  const run = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

describe("loading the Pulumi SDK through the automation layer (run `npm run build` first)", () => {
  it("leaves TypeScript unloaded until a function is serialized, and serializing still works", () => {
    const result = runFresh(`
      const typescript = require.resolve("typescript");
      require("./dist/automation/workspace/sdk.js").automationSdk();
      const pulumi = require("@pulumi/pulumi");
      require("@pulumi/pulumi/automation");
      const afterLoad = Boolean(require.cache[typescript]);
      pulumi.runtime.serializeFunction(() => 40 + 2).then((serialized) => {
        const shim = require("@pulumi/pulumi/typescript-shim");
        console.log(JSON.stringify({
          afterLoad,
          afterSerialize: Boolean(require.cache[typescript]),
          text: serialized.text,
          shimIsTypeScript: shim === require("typescript"),
          sourceFile: typeof shim.createSourceFile,
        }));
      });
    `);
    expect(result.afterLoad).toBe(false);
    expect(result.afterSerialize).toBe(true);
    expect(result.text).toContain("40 + 2");
    // Once loaded, a later require of the shim gets the real module, not the stand-in.
    expect(result.shimIsTypeScript).toBe(true);
    expect(result.sourceFile).toBe("function");
  });

  it("changes nothing when the SDK was loaded first", () => {
    const result = runFresh(`
      const typescript = require.resolve("typescript");
      require("@pulumi/pulumi");
      require("./dist/automation/workspace/sdk.js").automationSdk();
      console.log(JSON.stringify({ loaded: Boolean(require.cache[typescript]) }));
    `);
    expect(result.loaded).toBe(true);
  });
});
