import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  planAndDeploy,
  stackHistory,
  destroyStack,
  writeStackSpec,
  currentStackSpec,
  sync,
} from "../../src/automation/index";
import { FAST_CANARY } from "../support/requests";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");

describe("sync: the GitOps reconciler", () => {
  let t: TestWorkspace;
  const projectId = uniqueId("sync");
  const staging = `${projectId}.staging`;
  const production = `${projectId}.production`;

  beforeAll(async () => {
    t = await createTestWorkspace("dp-sync-");
  });

  afterAll(async () => {
    for (const stack of [staging, production]) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function deploy(env: string, version: string) {
    const source = path.join(t.root, `${env}-${version}`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), `<h1>${version}</h1>`);
    const result = await planAndDeploy(
      { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: env }, source, version_name: version, ...(env === "production" ? { rollout: FAST_CANARY } : {}) },
      { workspace: t.workspace },
    );
    expect(result).toMatchObject({ status: "success" });
    return result as { url: string; artifact_digest: string };
  }

  it("deploys only the stack files that changed, and nothing when all match what runs", async () => {
    const stage = await deploy("staging", "s1");
    const prod = await deploy("production", "p1");
    expect(await sync({ workspace: t.workspace, dryRun: true })).toEqual([
      { stack: staging, status: "unchanged" },
      { stack: production, status: "unchanged" },
    ]);

    // A merged change to production's stack file: staging's artifact and version name, production's own settings.
    const desired = (await currentStackSpec(t.workspace, production))!;
    const stagingSpec = (await currentStackSpec(t.workspace, staging))!;
    await writeStackSpec(t.workspace.stacksDir, { ...desired, artifact: stagingSpec.artifact, version_name: "s1" });

    expect(await sync({ workspace: t.workspace, dryRun: true })).toEqual([
      { stack: staging, status: "unchanged" },
      { stack: production, status: "would_deploy" },
    ]);
    const before = (await stackHistory(staging, { workspace: t.workspace })).length;
    const outcomes = await sync({ workspace: t.workspace });
    expect(outcomes.map((o) => [o.stack, o.status])).toEqual([
      [staging, "unchanged"],
      [production, "deployed"],
    ]);
    expect(await (await fetch(prod.url)).text()).toContain("s1");
    expect((await stackHistory(production, { workspace: t.workspace }))[0]).toMatchObject({ versionName: "s1", artifactDigest: stage.artifact_digest, message: expect.stringContaining("sync") });
    expect((await stackHistory(staging, { workspace: t.workspace })).length).toBe(before);

    // Converged: a second run changes nothing and runs no engine.
    const productionUpdates = (await stackHistory(production, { workspace: t.workspace })).length;
    expect((await sync({ workspace: t.workspace })).map((o) => o.status)).toEqual(["unchanged", "unchanged"]);
    expect((await stackHistory(production, { workspace: t.workspace })).length).toBe(productionUpdates);
  });
});
