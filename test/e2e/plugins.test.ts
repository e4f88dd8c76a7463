import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planAndDeploy } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");

describe("a cloud target whose provider plugin is not installed", () => {
  let t: TestWorkspace;
  const savedProxy = process.env.HTTPS_PROXY;

  beforeEach(async () => {
    t = await createTestWorkspace("dp-plugin-");
    // Plugin downloads go through a proxy that refuses connections, so the test behaves the same with or without
    // internet access.
    process.env.HTTPS_PROXY = "http://127.0.0.1:9";
  });

  afterEach(async () => {
    if (savedProxy === undefined) delete process.env.HTTPS_PROXY;
    else process.env.HTTPS_PROXY = savedProxy;
    await t.cleanup();
  });

  it("fails at stage env_setup naming the plugin and how to install it", async () => {
    // The token is a placeholder: the run stops before any provider talks to Vercel.
    const result = await planAndDeploy(
      {
        project_id: uniqueId("plugin"),
        deployment_type: "cloud_saas",
        tech_stack: ["Next.js"],
        environment: { ENV: "staging" },
        source: path.join(REPO, "examples", "apps", "static-site"),
      },
      { workspace: t.workspace, env: { ...t.env, VERCEL_API_TOKEN: "placeholder-token" } },
    );
    expect(result).toMatchObject({
      status: "error",
      stage: "env_setup",
      reason: "the Pulumi resource plugin 'vercel v5.4.1' is not installed",
    });
    // Pulumiverse providers are published on GitHub, not on Pulumi's own server.
    expect((result as { fix_suggestion: string }).fix_suggestion).toContain(
      "pulumi plugin install resource vercel v5.4.1 --server github://api.github.com/pulumiverse",
    );
  });
});
