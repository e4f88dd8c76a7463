import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { previewOffline, renderOfflinePreview } from "../../src/stacks/offline-preview";
import { exampleRequestFiles, exampleSpec } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";

const ROOT = path.resolve(__dirname, "..", "..");
const STATIC_APP = path.join(ROOT, "examples", "apps", "static-site");

/** Replaces machine-specific paths so the graph can be compared across machines. */
function stable(text: string): string {
  return text.split(ROOT).join("<repo>").split(os.tmpdir()).join("<tmp>");
}

describe("offline preview under Pulumi's mocks", () => {
  it("shows the local target's graph with the secret masked", async () => {
    const preview = await previewOffline(exampleSpec("local-node-server.json"));
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
    const preview = await previewOffline(exampleSpec("local-static-site.json"));
    expect(preview.resources.find((r) => r.name === "app-release")?.inputs).toMatchObject({ command: null, secretEnv: {} });
  });

  it("shows the stack's explicit provider with its region, and every cloud resource going through it", async () => {
    const preview = await previewOffline(exampleSpec("gcp-cloud-run.yaml", { region: "europe-west1" }));
    const providers = preview.resources.filter((r) => r.type.startsWith("pulumi:providers:"));
    // The app's image is built through the stack's explicit Docker provider, beside the GCP one.
    expect(providers.map((p) => [p.type, p.name, p.inputs.region])).toEqual([
      ["pulumi:providers:gcp", "gcp", "europe-west1"],
      ["pulumi:providers:docker", "docker", undefined],
    ]);
    const images = preview.resources.filter((r) => r.type.startsWith("docker:"));
    expect(images.length).toBeGreaterThan(0);
    expect(images.every((r) => r.provider === "docker")).toBe(true);
    const cloud = preview.resources.filter((r) => r.custom && r.type.startsWith("gcp:"));
    expect(cloud.length).toBeGreaterThan(0);
    expect(cloud.every((r) => r.provider === "gcp")).toBe(true);
    const rendered = renderOfflinePreview(preview);
    expect(rendered).toContain("+ pulumi:providers:gcp gcp\n      region: europe-west1");
    expect(rendered).toContain("+ gcp:cloudrunv2/service:Service app-service (provider: gcp)");
  });

  it("shows a Cloud Run canary's split and new revision as known after deploy: the name is a hash of the deployed template", async () => {
    const artifact = { digest: `sha256:${"c".repeat(64)}`, path: "/bundle" };
    const canary = await previewOffline(exampleSpec("gcp-cloud-run.yaml", { artifact }));
    const service = canary.resources.find((r) => r.name === "app-service")!;
    // The image digest and the secrets' versions are in the template, and only the deploy knows them.
    expect((service.inputs.template as { revision?: string }).revision).toBe("(known after deploy)");
    expect(service.inputs.traffics).toBe("(known after deploy)");
    const atOnce = await previewOffline(exampleSpec("gcp-cloud-run.yaml", { artifact, rollout: { strategy: "all_at_once" } }));
    expect(atOnce.resources.find((r) => r.name === "app-service")!.inputs.traffics).toEqual([{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }]);
  });

  it("reports a program that cannot run under mocks as an error naming the stack", async () => {
    const spec = exampleSpec("local-static-site.json");
    await expect(previewOffline({ ...spec, target: "local", spec_version: 2 as unknown as 1 })).rejects.toThrow(/example-site.development/);
  });
});

describe("offline preview snapshots of the example requests", () => {
  it.each(exampleRequestFiles())("renders %s the same way", async (file) => {
    const planned = exampleSpec(file);
    // A static site's files are read when the program runs, so its bundle is the example app, standing for the build's output.
    const spec: StackSpec =
      planned.build.kind === "static"
        ? { ...planned, build: { ...planned.build, output_dir: null }, artifact: { digest: `sha256:${"b".repeat(64)}`, path: STATIC_APP } }
        : { ...planned, artifact: { digest: `sha256:${"b".repeat(64)}`, path: "/bundle" } };
    const preview = await previewOffline(spec);
    expect(stable(renderOfflinePreview(preview))).toMatchSnapshot();
  });
});
