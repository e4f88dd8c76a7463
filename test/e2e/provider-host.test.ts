import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, upStack, type PlannerWorkspace } from "../../src/automation/index";
import { packageSource } from "../../src/packager/index";
import { engineWorkspace } from "../../src/automation/engine/stack-handles";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { liveProcesses, portRefuses } from "../support/processes";
import { localSpec } from "../support/specs";

/** Pids of dynamic-provider processes started for a workspace (their environment names it), seen now. */
async function providerProcessesOf(workspaceDir: string): Promise<number[]> {
  const found: number[] = [];
  for (const row of await liveProcesses()) {
    if (!row.args.includes("dynamic-provider")) continue;
    const environ = await readFile(`/proc/${row.pid}/environ`, "latin1").catch(() => "");
    if (environ.includes(workspaceDir)) found.push(row.pid);
  }
  return found;
}

/** Watches for provider processes of a workspace until stopped; returns every pid seen. */
function watchProviderProcesses(workspaceDir: string): { stop(): Promise<Set<number>> } {
  const seen = new Set<number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of await providerProcessesOf(workspaceDir)) seen.add(pid);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

/** The supervisor of a stack (found by its state directory under the workspace), as `ps` shows its arguments. */
async function supervisorArgs(workspaceDir: string, stack: string): Promise<string> {
  const rows = (await liveProcesses()).filter((row) => row.args.includes("supervisor.cjs") && row.args.includes(workspaceDir) && row.args.includes(stack));
  expect(rows).toHaveLength(1);
  return rows[0]!.args;
}

/** A local static-site spec with a packaged page of its own. */
async function staticSite(workspace: PlannerWorkspace, prefix: string) {
  const projectId = uniqueId(prefix);
  const dir = path.join(workspace.dir, "..", `${projectId}-src`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "index.html"), `<h1>${projectId}</h1>\n`);
  const bundle = await packageSource(dir, { bundlesDir: workspace.bundlesDir });
  return localSpec({ project_id: projectId, artifact: { digest: bundle.digest, path: bundle.path } });
}

describe("dynamic providers answered by the deploying process", () => {
  const opened: { t: TestWorkspace; stacks: string[] }[] = [];

  async function workspace(prefix: string, env: NodeJS.ProcessEnv = {}): Promise<{ t: TestWorkspace; stacks: string[] }> {
    const entry = { t: await createTestWorkspace(prefix, env), stacks: [] as string[] };
    opened.push(entry);
    return entry;
  }

  afterAll(async () => {
    for (const { t, stacks } of opened) {
      for (const stack of stacks) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
      await t.cleanup();
    }
  });

  let hosted: { t: TestWorkspace; stacks: string[] };
  let separate: { t: TestWorkspace; stacks: string[] };
  beforeAll(async () => {
    hosted = await workspace("dp-host-in-");
    separate = await workspace("dp-host-proc-", { DEPLOYMENT_PLANNER_PROVIDER_HOST: "process" });
  });

  it("deploys and serves with no provider process by default; the `process` setting starts one per engine run", async () => {
    expect(hosted.t.workspace.providerHost).toBe("in-process");
    expect(separate.t.workspace.providerHost).toBe("process");
    for (const entry of [hosted, separate]) {
      const { t, stacks } = entry;
      const spec = await staticSite(t.workspace, "host");
      stacks.push(spec.stack);
      const watch = watchProviderProcesses(t.workspace.dir);
      const result = await upStack(spec, {}, { workspace: t.workspace });
      const seen = await watch.stop();
      const url = String(result.outputs.url);
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(result.changeSummary.create).toBeGreaterThanOrEqual(2);
      // The control: the same probe sees the engine's own provider process when one is started.
      if (entry === hosted) expect([...seen]).toEqual([]);
      else expect(seen.size).toBeGreaterThanOrEqual(1);
    }
  });

  it("listens only while an engine run needs it: the engine's attach setting and the port are gone afterwards", async () => {
    const spec = await staticSite(hosted.t.workspace, "lease");
    hosted.stacks.push(spec.stack);
    const engine = await engineWorkspace(hosted.t.workspace);
    let attach: string | undefined;
    const probe = setInterval(() => {
      attach ??= engine.envVars.PULUMI_DEBUG_PROVIDERS;
    }, 5);
    try {
      await upStack(spec, {}, { workspace: hosted.t.workspace });
    } finally {
      clearInterval(probe);
    }
    expect(attach).toMatch(/^pulumi-nodejs:\d+$/);
    expect(engine.envVars.PULUMI_DEBUG_PROVIDERS).toBeUndefined();
    expect(await portRefuses(Number(attach!.split(":")[1]))).toBe(true);
  });

  it("two workspaces deploying at once in one process each give their providers their own settings", async () => {
    const none = await workspace("dp-host-warm0-", { DEPLOYMENT_PLANNER_WARM_RELEASES: "0" });
    const three = await workspace("dp-host-warm3-", { DEPLOYMENT_PLANNER_WARM_RELEASES: "3" });
    const specs = await Promise.all(
      [none, three].map(async ({ t, stacks }) => {
        const spec = await staticSite(t.workspace, "warm");
        stacks.push(spec.stack);
        return spec;
      }),
    );
    const results = await Promise.all([none, three].map(({ t }, index) => upStack(specs[index]!, {}, { workspace: t.workspace })));
    for (const result of results) expect((await fetch(String(result.outputs.url))).status).toBe(200);
    // Each stack's supervisor lives under its own workspace and got that workspace's setting, not the other's.
    expect(await supervisorArgs(none.t.workspace.dir, specs[0]!.stack)).toContain("--warm=0");
    expect(await supervisorArgs(three.t.workspace.dir, specs[1]!.stack)).toContain("--warm=3");
  });
});
