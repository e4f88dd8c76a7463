import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SERIALIZED_PROVIDERS_FILE, providerModuleSha256, pulumiSdkVersion, readSerializedProviders } from "../../src/components/dynamic-resource";

const ROOT = path.resolve(__dirname, "..", "..");
const DIST_COMPONENTS = path.join(ROOT, "dist", "components");

/**
 * Run on the compiled package (`npm run build` first), under the SDK's own mocks: every lazy provider registered
 * twice, through the SDK's `pulumi.dynamic.Resource` and through `PackageDynamicResource`, printing the `__provider`
 * input and the type each registration sent.
 */
const REGISTRATIONS_SCRIPT = `
const pulumi = require("@pulumi/pulumi");
const { lazyProvidersMade } = require("./dist/components/dynamic-provider.js");
const { PackageDynamicResource } = require("./dist/components/dynamic-resource.js");
for (const m of ["local/providers", "netlify/netlify-site", "railway/railway-project"]) require("./dist/components/" + m + ".js");
class ViaPackage extends PackageDynamicResource { constructor(p, n) { super(p, n, {}, undefined, "m", "T"); } }
const seen = {};
pulumi.runtime.setMocks({
  newResource: (args) => { seen[args.name] = { type: args.type, provider: args.inputs.__provider }; return { id: args.name, state: {} }; },
  call: () => ({}),
}, "project", "stack", false).then(async () => {
  const keys = [...lazyProvidersMade().keys()];
  keys.forEach((key, i) => { new pulumi.dynamic.Resource(lazyProvidersMade().get(key), "sdk-" + i, {}, undefined, "m", "T"); new ViaPackage(lazyProvidersMade().get(key), "package-" + i); });
  for (let waited = 0; Object.keys(seen).length < keys.length * 2 && waited < 300; waited++) await new Promise((r) => setTimeout(r, 50));
  console.log(JSON.stringify({ keys, seen }));
});
`;

describe("dynamic providers serialized by the build", () => {
  it("are byte for byte what the SDK's dynamic.Resource registers, and PackageDynamicResource registers the same (run `npm run build` first)", () => {
    const file = JSON.parse(readFileSync(path.join(DIST_COMPONENTS, SERIALIZED_PROVIDERS_FILE), "utf8"));
    expect(file.sdkVersion).toBe(pulumiSdkVersion());
    const run = spawnSync(process.execPath, ["-e", REGISTRATIONS_SCRIPT], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const { keys, seen } = JSON.parse(run.stdout.trim().split("\n").pop()!) as { keys: string[]; seen: Record<string, { type: string; provider: string }> };
    expect([...keys].sort()).toEqual(["local:createEndpoint", "local:createRelease", "netlify:createSite", "railway:createProject"]);
    expect(Object.keys(file.providers).sort()).toEqual([...keys].sort());
    keys.forEach((key, i) => {
      const sdk = seen[`sdk-${i}`]!;
      const viaPackage = seen[`package-${i}`]!;
      expect(sdk.provider, key).toContain("deployment-planner/providers/");
      expect(file.providers[key], key).toBe(sdk.provider);
      expect(viaPackage.provider, key).toBe(sdk.provider);
      expect(viaPackage.type).toBe(sdk.type);
      expect(sdk.type).toBe("pulumi-nodejs:dynamic/m:T");
    });
  });
});

describe("readSerializedProviders", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "serialized-providers-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (content: unknown) => writeFileSync(path.join(dir, SERIALIZED_PROVIDERS_FILE), typeof content === "string" ? content : JSON.stringify(content));
  const current = { sdkVersion: pulumiSdkVersion(), providerModuleSha256: providerModuleSha256(), providers: { "local:createEndpoint": "exports.handler = __f0;" } };

  it("uses texts made by this SDK from these providers", () => {
    write(current);
    expect(readSerializedProviders(dir)?.providers["local:createEndpoint"]).toBe("exports.handler = __f0;");
  });

  it("ignores a missing, corrupt, foreign or stale file, so the SDK serializes at run time", () => {
    expect(readSerializedProviders(dir)).toBeNull();
    for (const content of ["{\"sdkVersion\":", "null", "[]", { ...current, providers: null }, { ...current, sdkVersion: "3.1.0" }, { ...current, providerModuleSha256: "0".repeat(64) }]) {
      write(content);
      expect(readSerializedProviders(dir), JSON.stringify(content)).toBeNull();
    }
  });
});
