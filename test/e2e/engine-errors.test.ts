import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  OperationCancelledError,
  StackLockedError,
  destroyStack,
  refreshStack,
  upStack,
} from "../../src/automation/index";
import { packageSource } from "../../src/packager/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { processesUnder } from "../support/processes";
import { localSpec } from "../support/specs";

const REPO = path.resolve(__dirname, "..", "..");

describe("engine failures map to typed errors", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeEach(async () => {
    t = await createTestWorkspace("dp-errors-");
  });

  afterEach(async () => {
    for (const stack of stacks.splice(0)) await destroyStack(stack, { workspace: t.workspace, removeStack: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function staticSpec(prefix: string) {
    const source = path.join(t.root, prefix);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    return localSpec({ project_id: uniqueId(prefix), artifact: { digest: bundle.digest, path: bundle.path } });
  }

  it("fails on another process's lock with StackLockedError, or waits for it to go when asked to wait", async () => {
    const spec = await staticSpec("locked");
    await upStack(spec, {}, { workspace: t.workspace });
    stacks.push(spec.stack);
    const lockDir = path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "locks", "organization", "deployment-planner", spec.stack);
    await mkdir(lockDir, { recursive: true });
    const lockFile = path.join(lockDir, "held-by-another-process.json");
    const since = new Date().toISOString();
    // A holder on another host cannot be checked from here, so its lock is waited for, never broken.
    await writeFile(lockFile, JSON.stringify({ pid: 1, username: "someone", hostname: "elsewhere", timestamp: since }));

    const started = Date.now();
    const error = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 3000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StackLockedError);
    expect(Date.now() - started).toBeLessThan(10_000);
    const failure = (error as StackLockedError).toFailure();
    expect(failure).toMatchObject({
      stage: "deploy",
      reason: `stack '${spec.stack}' is locked by another update (held by someone@elsewhere, pid 1, since ${since})`,
    });
    const [project, env] = spec.stack.split(".");
    expect(failure.fix_suggestion).toContain(`deployment-planner unlock ${project} ${env} --force`);
    expect(failure.fix_suggestion).not.toContain("pulumi cancel");

    const lines: string[] = [];
    setTimeout(() => void rm(lockFile, { force: true }), 3000);
    const waited = await upStack(spec, {}, { workspace: t.workspace, lockWaitMs: 60_000, onProgress: (l) => lines.push(l) });
    expect(waited.changeSummary).toMatchObject({ same: 4 });
    expect(lines.some((l) => l.includes(`stack ${spec.stack} is locked by someone@elsewhere, pid 1`) && l.includes("waiting up to"))).toBe(true);
  });

  it("cancels a running update through its AbortSignal and leaves the stack unlocked for refresh and destroy", async () => {
    const source = path.join(t.root, "slow");
    await mkdir(source, { recursive: true });
    // A server that takes a long time to start keeps the update busy long enough to be cancelled.
    await writeFile(
      path.join(source, "server.js"),
      "setTimeout(() => require('node:http').createServer((q, s) => s.end('slow ok')).listen(Number(process.env.PORT), '127.0.0.1'), 20000);\n",
    );
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const spec = localSpec({
      project_id: uniqueId("cancel"),
      build: { ...localSpec({ project_id: "x" }).build, kind: "node", start_command: "node server.js" },
      artifact: { digest: bundle.digest, path: bundle.path },
    });
    stacks.push(spec.stack);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 4000);
    const started = Date.now();
    const error = await upStack(spec, {}, { workspace: t.workspace, signal: controller.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OperationCancelledError);
    expect(Date.now() - started).toBeLessThan(19_000);

    // The stack is not left locked: refresh runs, and a destroy removes whatever the cancelled update started.
    await refreshStack(spec.stack, { workspace: t.workspace, lockWaitMs: 0 });
    await destroyStack(spec.stack, { workspace: t.workspace, lockWaitMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await processesUnder(path.join(t.workspace.dataDir, "bundles"))).toEqual([]);
  });
});
