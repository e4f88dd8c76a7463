import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../src/planner/plan";
import { parseRequestText } from "../../src/planner/input";
import { previewOffline, renderOfflinePreview } from "../../src/stacks/offline-preview";
import type { StackSpec } from "../../src/planner/spec";

const ROOT = path.resolve(__dirname, "..", "..");

function specOf(file: string, overrides: Partial<StackSpec> = {}): StackSpec {
  const parsed = parseRequestText(readFileSync(path.join(ROOT, "examples", "requests", file), "utf8"));
  if (!parsed.ok) throw new Error(parsed.failure.reason);
  const result = plan(parsed.request, { baseDir: path.join(ROOT, "examples", "requests") });
  if (result.status !== "planned") throw new Error(JSON.stringify(result));
  return { ...result.spec, ...overrides };
}

/** Replaces machine-specific paths so the graph can be compared across machines. */
function stable(text: string): string {
  return text.split(ROOT).join("<repo>").split(os.tmpdir()).join("<tmp>");
}

describe("offline preview under Pulumi's mocks", () => {
  it("shows the local target's graph with the secret masked", async () => {
    const spec = specOf("local-node-server.json");
    const preview = await previewOffline(spec);
    expect(preview.resources.map((r) => [r.type, r.name, r.parent])).toEqual([
      ["planner:local:LocalApp", "app", null],
      ["pulumi-nodejs:dynamic/local:Endpoint", "app-endpoint", "app"],
      ["pulumi-nodejs:dynamic/local:Release", "app-release", "app"],
    ]);
    const release = preview.resources.find((r) => r.name === "app-release")!;
    expect(release.inputs).toMatchObject({ command: "npm start", env: { GREETING: "hello" }, secretEnv: "[secret]", healthPath: "/" });
    expect(stable(renderOfflinePreview(preview))).toMatchSnapshot();
  });

  it("previews the static example as a static release with no start command", async () => {
    const preview = await previewOffline(specOf("local-static-site.json"));
    expect(preview.resources.find((r) => r.name === "app-release")?.inputs).toMatchObject({ command: null, secretEnv: {} });
  });

  it("reports a program that cannot run under mocks as an error naming the stack", async () => {
    const spec = specOf("local-static-site.json", { build: { ...specOf("local-static-site.json").build, health_check_path: "/" } });
    await expect(previewOffline({ ...spec, target: "local", spec_version: 2 as unknown as 1 })).rejects.toThrow(/example-site.development/);
  });
});

describe("offline preview snapshots of the example requests", () => {
  // Every example that plans to a deployment (the redeploy example is resolved against a stack's history instead).
  const files = readdirSync(path.join(ROOT, "examples", "requests"))
    .filter((file) => file !== "brief-redeploy.json")
    .sort();
  it.each(files)("renders %s the same way", async (file) => {
    const spec = specOf(file, { artifact: { digest: `sha256:${"b".repeat(64)}`, path: "/bundle" } });
    const preview = await previewOffline(spec);
    expect(stable(renderOfflinePreview(preview))).toMatchSnapshot();
  });
});
