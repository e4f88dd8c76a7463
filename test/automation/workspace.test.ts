import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensurePulumi, type PulumiToolchain } from "../../src/toolchain/pulumi";
import { openWorkspace } from "../../src/automation/index";
import { TEST_PASSPHRASE } from "../support/engine";

describe("a workspace's project file", () => {
  let root: string;
  let toolchain: PulumiToolchain;
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE };

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-workspace-"));
    toolchain = await ensurePulumi({ env, skipInstaller: true });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function projectMain(dir: string): Promise<string> {
    return YAML.parse(await readFile(path.join(dir, "Pulumi.yaml"), "utf8")).main;
  }

  it("runs this install's compiled program, by a path relative to the workspace", async () => {
    const dir = path.join(root, "ws");
    await openWorkspace({ workspaceDir: dir, env, toolchain });
    const main = await projectMain(dir);
    expect(path.isAbsolute(main)).toBe(false);
    expect(main.endsWith(path.join("dist", "stacks", "entry.js"))).toBe(true);
    expect((await stat(path.resolve(dir, main))).isFile()).toBe(true);
  });

  it("keeps bundles in the configured artifact store, by default inside the workspace", async () => {
    const dir = path.join(root, "ws");
    expect((await openWorkspace({ workspaceDir: dir, env, toolchain })).bundlesDir).toBe(path.join(dir, ".deployment-planner", "bundles"));
    expect((await openWorkspace({ workspaceDir: dir, env, toolchain, artifactStore: "../shared-artifacts" })).bundlesDir).toBe(path.join(root, "shared-artifacts"));
    const fromEnv = await openWorkspace({ workspaceDir: dir, env: { ...env, DEPLOYMENT_PLANNER_ARTIFACT_STORE: "/srv/artifacts" }, toolchain });
    expect(fromEnv.bundlesDir).toBe("/srv/artifacts");
  });

  it("keeps its working files out of git, so a workspace repository shows only its desired state", async () => {
    const dir = path.join(root, "ws");
    await mkdir(dir, { recursive: true });
    execFileSync("git", ["init", "-q", dir]);
    const workspace = await openWorkspace({ workspaceDir: dir, env, toolchain });
    await mkdir(path.join(workspace.bundlesDir, "abc"), { recursive: true });
    await writeFile(path.join(workspace.bundlesDir, "abc", "index.html"), "<h1>bundle</h1>");
    await writeFile(path.join(workspace.stacksDir, "Pulumi.site.production.yaml"), "config: {}\n");
    const untracked = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir, encoding: "utf8" });
    expect(untracked.split("\n").filter(Boolean).map((line) => line.slice(3)).sort()).toEqual(["Pulumi.yaml", "stacks/Pulumi.site.production.yaml"]);
    // An edited ignore file is the user's: opening the workspace again keeps it.
    await writeFile(path.join(workspace.dataDir, ".gitignore"), "bundles/\n");
    await openWorkspace({ workspaceDir: dir, env, toolchain });
    expect(await readFile(path.join(workspace.dataDir, ".gitignore"), "utf8")).toBe("bundles/\n");
  });

  it("points an entry left by a moved or removed install at this one, keeping the rest of the file", async () => {
    const dir = path.join(root, "ws");
    await mkdir(dir, { recursive: true });
    const stale = "../gone-install/node_modules/deployment-planner/dist/stacks/entry.js";
    await writeFile(
      path.join(dir, "Pulumi.yaml"),
      `name: deployment-planner\n# kept by hand\ndescription: ours\nruntime:\n  name: nodejs\nmain: ${stale}\nstackConfigDir: stacks\n`,
    );
    await openWorkspace({ workspaceDir: dir, env, toolchain });
    const text = await readFile(path.join(dir, "Pulumi.yaml"), "utf8");
    const main = await projectMain(dir);
    expect(main).not.toBe(stale);
    expect((await stat(path.resolve(dir, main))).isFile()).toBe(true);
    expect(text).toContain("# kept by hand");
    expect(text).toContain("description: ours");
  });

  it("leaves another project's file alone", async () => {
    const dir = path.join(root, "ws");
    await mkdir(dir, { recursive: true });
    const foreign = "name: someone-else\nruntime: nodejs\nmain: ./missing.js\n";
    await writeFile(path.join(dir, "Pulumi.yaml"), foreign);
    await openWorkspace({ workspaceDir: dir, env, toolchain });
    expect(await readFile(path.join(dir, "Pulumi.yaml"), "utf8")).toBe(foreign);
  });
});
