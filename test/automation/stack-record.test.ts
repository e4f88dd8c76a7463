import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, PROJECT_NAME, upStack } from "../../src/automation/index";
import { engineWorkspace } from "../../src/automation/engine/stack-handles";
import { fileStateBackend } from "../../src/automation/backend/file-backend";
import { packageSource } from "../../src/packager/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { localSpec } from "../support/specs";

describe("a new stack's record written without the engine's `stack init`", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeAll(async () => {
    t = await createTestWorkspace("dp-stack-record-");
  });

  afterAll(async () => {
    for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function siteSpec(prefix: string) {
    const projectId = uniqueId(prefix);
    const dir = path.join(t.root, `${projectId}-src`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "index.html"), `<h1>${projectId}</h1>\n`);
    const bundle = await packageSource(dir, { bundlesDir: t.workspace.bundlesDir });
    const spec = localSpec({ project_id: projectId, artifact: { digest: bundle.digest, path: bundle.path } });
    stacks.push(spec.stack);
    return spec;
  }

  it("marks a brand-new tree as the engine does, then creates records the engine lists and updates", async () => {
    const backend = t.workspace.stateBackend;
    const marker = path.join(new URL(t.workspace.backendUrl).pathname, ".pulumi", "meta.yaml");
    // No engine run yet: the record comes with the tree's layout marker, the one the engine writes into an empty tree.
    const first = await siteSpec("record-first");
    expect(await backend.createStackRecord(PROJECT_NAME, first.stack)).toBe(true);
    expect(await readFile(marker, "utf8")).toBe("version: 1\n");
    expect(await readdir(path.dirname(marker))).toEqual(expect.arrayContaining(["meta.yaml", "stacks"]));
    expect((await readdir(path.dirname(marker))).filter((name) => name.startsWith(".meta.yaml"))).toEqual([]);
    const firstResult = await upStack(first, {}, { workspace: t.workspace });
    expect(firstResult.version).toBe(1);
    expect(await (await fetch(String(firstResult.outputs.url))).text()).toContain(first.project_id);

    const second = await siteSpec("record-second");
    expect(await backend.createStackRecord(PROJECT_NAME, second.stack)).toBe(true);
    // A stack that exists is never overwritten.
    expect(await backend.createStackRecord(PROJECT_NAME, second.stack)).toBe(false);
    expect(await backend.createStackRecord(PROJECT_NAME, first.stack)).toBe(false);
    const listed = (await (await engineWorkspace(t.workspace)).listStacks()).map((stack) => stack.name);
    expect(listed).toEqual(expect.arrayContaining([first.stack, second.stack]));

    // The engine updates the record it did not write, and adds the stack's secrets settings itself.
    const result = await upStack(second, { TOKEN: "record-test-secret" }, { workspace: t.workspace });
    expect(result.version).toBe(1);
    expect(await (await fetch(String(result.outputs.url))).text()).toContain(second.project_id);
    const stackFile = await readFile(path.join(t.workspace.stacksDir, `Pulumi.${second.stack}.yaml`), "utf8");
    expect(stackFile).toMatch(/^encryptionsalt: v1:/m);
    const again = await upStack(second, { TOKEN: "record-test-secret-2" }, { workspace: t.workspace });
    expect(again.version).toBe(2);
  });

  it("leaves a tree holding stacks of the older layout (files directly under stacks/) to the engine", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "dp-legacy-tree-"));
    try {
      await mkdir(path.join(root, ".pulumi", "stacks"), { recursive: true });
      await writeFile(path.join(root, ".pulumi", "stacks", "old.json"), "{}");
      const backend = fileStateBackend(root, { dataDir: path.join(root, "data"), leaseTtlMs: 60_000 });
      expect(await backend.createStackRecord(PROJECT_NAME, "new.development")).toBe(false);
      expect(await stat(path.join(root, ".pulumi", "meta.yaml")).catch(() => null)).toBeNull();
      expect(await readdir(path.join(root, ".pulumi", "stacks"))).toEqual(["old.json"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
