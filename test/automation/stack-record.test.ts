import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, PROJECT_NAME, upStack } from "../../src/automation/index";
import { engineWorkspace } from "../../src/automation/engine/stack-handles";
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

  it("leaves a backend the engine never set up to the engine, then creates records the engine lists and updates", async () => {
    const backend = t.workspace.stateBackend;
    // No engine run yet: the tree's layout marker is missing, so the engine must create the first stack itself.
    expect(await backend.createStackRecord(PROJECT_NAME, "never-used.development")).toBe(false);
    const first = await siteSpec("record-first");
    await upStack(first, {}, { workspace: t.workspace });

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
});
