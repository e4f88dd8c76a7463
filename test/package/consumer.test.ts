import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, readlink, realpath, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeployResult } from "../../src/automation/deploy";
import type { DestroyResult } from "../../src/automation/operation-types";
import {
  OTHER_NODE_RELEASES,
  PULUMI_SDK_VERSION,
  REPO,
  consumerEnv,
  describeRun,
  ensureNodeRelease,
  installConsumer,
  packPackage,
  resultOf,
  run,
  versionsInTree,
} from "../support/consumer";
import { TEST_PASSPHRASE } from "../support/engine";
import { portRefuses, processesUnder } from "../support/processes";

const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");

interface Deployed {
  readonly stack: string;
  readonly url: string;
  readonly workspaceDir: string;
  readonly node: string;
}

describe("the packed package in a backend's own install", () => {
  let root = "";
  let tarball = "";
  let consumerA = "";
  let consumerB = "";
  let env: NodeJS.ProcessEnv = {};
  let siteHeading = "";
  const otherNodes = new Map<string, { binary?: string; error?: unknown }>();
  const live: { stack: string; workspaceDir: string }[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dpc-"));
    consumerA = path.join(root, "consumer-a");
    consumerB = path.join(root, "consumer-b");
    env = consumerEnv({
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
      DEPLOYMENT_PLANNER_SKIP_INSTALLER: "1",
    });
    const html = await readFile(path.join(REPO, "examples", "apps", "static-site", "index.html"), "utf8");
    siteHeading = /<h1>(.*?)<\/h1>/.exec(html)![1]!;

    const nodesReady = Promise.all(
      OTHER_NODE_RELEASES.map((version) =>
        ensureNodeRelease(version, env).then(
          (binary) => void otherNodes.set(version, { binary }),
          (error: unknown) => void otherNodes.set(version, { error }),
        ),
      ),
    );
    try {
      tarball = await packPackage(path.join(root, "stage"), path.join(root, "pack"), env);
      await Promise.all([installConsumer(consumerA, tarball, env), installConsumer(consumerB, tarball, env)]);
    } finally {
      await nodesReady;
    }
  }, 900_000);

  afterAll(async () => {
    if (!root) return;
    const cleaner = [consumerA, consumerB].find((dir) => existsSync(path.join(dir, "node_modules", "deployment-planner")));
    for (const { stack, workspaceDir } of live.splice(0)) {
      if (cleaner) await run(process.execPath, ["destroy.cjs", stack, workspaceDir], { cwd: cleaner, env, timeoutMs: 180_000 });
    }
    for (const pid of await processesUnder(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await rm(root, { recursive: true, force: true });
  }, 600_000);

  async function deployFrom(consumer: string, node: string, childEnv: NodeJS.ProcessEnv): Promise<Deployed> {
    // Short names: the local target's control socket lives under the workspace, and a Unix socket path has at most 107 bytes.
    const id = `c-${Math.random().toString(36).slice(2, 8)}`;
    const source = path.join(root, id, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const workspaceDir = path.join(root, id, "ws");
    const r = await run(node, ["deploy.cjs", source, workspaceDir, id], { cwd: consumer, env: childEnv, timeoutMs: 240_000 });
    const { node: version, result } = resultOf<DeployResult>(r);
    if (result.status !== "success") throw new Error(`planAndDeploy did not succeed: ${JSON.stringify(result)}`);
    live.push({ stack: result.stack, workspaceDir });
    return { stack: result.stack, url: result.url, workspaceDir, node: version };
  }

  async function destroyFrom(consumer: string, node: string, childEnv: NodeJS.ProcessEnv, deployed: Deployed): Promise<DestroyResult> {
    const r = await run(node, ["destroy.cjs", deployed.stack, deployed.workspaceDir], { cwd: consumer, env: childEnv, timeoutMs: 240_000 });
    const { result } = resultOf<DestroyResult>(r);
    const index = live.findIndex((d) => d.stack === deployed.stack && d.workspaceDir === deployed.workspaceDir);
    if (index >= 0) live.splice(index, 1);
    return result;
  }

  async function expectServing(url: string): Promise<void> {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(siteHeading);
  }

  async function expectGone(deployed: Deployed, destroyed: DestroyResult): Promise<void> {
    expect(destroyed).toMatchObject({ stack: deployed.stack, stackRemoved: true });
    expect(destroyed.changeSummary.delete).toBeGreaterThan(0);
    expect(await portRefuses(Number(new URL(deployed.url).port))).toBe(true);
    expect(await processesUnder(deployed.workspaceDir)).toEqual([]);
  }

  async function expectImports(node: string, childEnv: NodeJS.ProcessEnv): Promise<string> {
    const script = `const m = require("deployment-planner"); console.log(process.version, typeof m.planAndDeploy, typeof m.plan, require.resolve("deployment-planner"))`;
    const cjs = await run(node, ["-e", script], { cwd: consumerA, env: childEnv, timeoutMs: 60_000 });
    expect(cjs.code, describeRun(cjs)).toBe(0);
    const [version, planAndDeployType, planType, resolved] = cjs.stdout.trim().split(" ");
    expect([planAndDeployType, planType]).toEqual(["function", "function"]);
    expect(resolved).toBe(path.join(consumerA, "node_modules", "deployment-planner", "dist", "index.js"));
    const esm = await run(node, ["esm.mjs"], { cwd: consumerA, env: childEnv, timeoutMs: 60_000 });
    expect(esm.code, describeRun(esm)).toBe(0);
    expect(esm.stdout.trim()).toBe(`${version} function function`);
    return version!;
  }

  async function expectTypeChecks(tsconfig: string): Promise<void> {
    const r = await run(process.execPath, [TSC, "--noEmit", "-p", path.join(consumerA, tsconfig)], { cwd: consumerA, env, timeoutMs: 180_000 });
    expect(r.code, describeRun(r)).toBe(0);
  }

  it("exposes planAndDeploy and plan as functions through require() and through an ESM import", async () => {
    await expectImports(process.execPath, env);
  });

  it("type-checks a typed consumer under module/moduleResolution nodenext, strict, without skipLibCheck", async () => {
    await expectTypeChecks("tsconfig.nodenext.json");
  });

  it("type-checks the same consumer under moduleResolution bundler (module preserve), strict, without skipLibCheck", async () => {
    await expectTypeChecks("tsconfig.bundler.json");
  });

  it("installs exactly one @pulumi/pulumi, the consumer's 3.248.0, in the whole dependency tree", async () => {
    const r = await run("npm", ["ls", "@pulumi/pulumi", "--all", "--json"], { cwd: consumerA, env, timeoutMs: 120_000 });
    expect(r.code, describeRun(r)).toBe(0);
    expect(versionsInTree(JSON.parse(r.stdout), "@pulumi/pulumi")).toEqual([PULUMI_SDK_VERSION]);
  });

  it("ships the compiled code, bin, supervisor and catalog in the tarball, and no sources, tests, maps or node_modules", async () => {
    const r = await run("tar", ["tzf", tarball], { cwd: root, env, timeoutMs: 60_000 });
    expect(r.code, describeRun(r)).toBe(0);
    const files = r.stdout.split("\n").filter((line) => line && !line.endsWith("/")).map((line) => line.replace(/^package\//, ""));
    for (const needed of ["dist/index.js", "dist/index.d.ts", "bin/deployment-planner.cjs", "dist/components/local/supervisor.cjs", "dist/planner/catalog.yaml"]) {
      expect(files).toContain(needed);
    }
    const unwanted = files.filter(
      (f) => /^(src|test)\//.test(f) || /(^|\/)node_modules\//.test(f) || f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    expect(unwanted).toEqual([]);
    const outsideShippedDirs = files.filter((f) => !/^(dist|bin|toolchain|schemas)\//.test(f) && !/^(package\.json|README\.md|LICEN[CS]E(\..*)?)$/i.test(f));
    expect(outsideShippedDirs).toEqual([]);
  });

  it("deploys the static example from the consumer, serves it over HTTP, and destroys it so the URL refuses connections", async () => {
    const deployed = await deployFrom(consumerA, process.execPath, env);
    await expectServing(deployed.url);
    await expectGone(deployed, await destroyFrom(consumerA, process.execPath, env, deployed));
  }, 600_000);

  it("runs the installed deployment-planner CLI: doctor reports Pulumi 3.248.0 and its language host", async () => {
    const bin = path.join(consumerA, "node_modules", ".bin", "deployment-planner");
    const r = await run(process.execPath, [bin, "doctor", "--json", "--workspace", path.join(root, "doctor-workspace")], {
      cwd: consumerA,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, describeRun(r)).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pulumi.version).toBe(PULUMI_SDK_VERSION);
    expect(report.pulumi.language_host).toEqual(expect.objectContaining({ origin: expect.any(String) }));
  });

  it("destroys from a second install a stack deployed from the first, and the state holds no path of either install", async () => {
    const deployed = await deployFrom(consumerA, process.execPath, env);
    await expectServing(deployed.url);
    const stateDir = path.join(deployed.workspaceDir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner");
    const written = [
      ...(await readdir(stateDir)).filter((name) => name.endsWith(".json")).map((name) => path.join(stateDir, name)),
      path.join(deployed.workspaceDir, "stacks", `Pulumi.${deployed.stack}.yaml`),
    ];
    expect(written.length).toBeGreaterThan(1);
    for (const file of written) {
      const text = await readFile(file, "utf8");
      for (const needle of [consumerA, REPO, root]) expect(text.includes(needle), `${file} contains ${needle}`).toBe(false);
    }

    // With the first install out of the way, nothing of it can be what the second one runs.
    const movedA = `${consumerA}-moved`;
    await rename(consumerA, movedA);
    let destroyed: DestroyResult;
    try {
      destroyed = await destroyFrom(consumerB, process.execPath, env, deployed);
    } finally {
      await rename(movedA, consumerA);
    }
    await expectGone(deployed, destroyed);
    expect(existsSync(written[written.length - 1]!)).toBe(false);
  }, 600_000);

  it.each(OTHER_NODE_RELEASES)("passes the import and deploy-serve-destroy checks under Node.js %s", async (version) => {
    const { binary: nodeBinary, error } = otherNodes.get(version) ?? {};
    if (!nodeBinary) throw new Error(`Node.js ${version} is not available: ${String((error as Error)?.message ?? error)}`);
    const otherEnv = consumerEnv(
      { PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, `pulumi-home-node-${version}`), DEPLOYMENT_PLANNER_SKIP_INSTALLER: "1" },
      [path.dirname(nodeBinary)],
    );
    expect(await expectImports(nodeBinary, otherEnv)).toBe(`v${version}`);

    const deployed = await deployFrom(consumerA, nodeBinary, otherEnv);
    expect(deployed.node).toBe(`v${version}`);
    await expectServing(deployed.url);
    // The engine's own children (the dynamic provider, and so the local target's supervisor) run on the same Node.js.
    const serving = await processesUnder(deployed.workspaceDir);
    expect(serving.length).toBeGreaterThan(0);
    const binaries = await Promise.all(serving.map((pid) => readlink(`/proc/${pid}/exe`).catch(() => "(exited)")));
    expect(new Set(binaries)).toEqual(new Set([await realpath(nodeBinary)]));
    await expectGone(deployed, await destroyFrom(consumerA, nodeBinary, otherEnv, deployed));
  }, 600_000);
});
