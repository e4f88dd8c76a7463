import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlannerWorkspace } from "../../src/automation/index";
import { pruneArtifacts } from "../../src/automation/release/artifact-retention";

const HOUR = 3600_000;
const digest = (fill: string) => fill.repeat(64);

describe("pruneArtifacts", () => {
  let root: string;
  let workspace: PlannerWorkspace;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-prune-"));
    workspace = { dataDir: path.join(root, "data"), bundlesDir: path.join(root, "data", "bundles"), stacksDir: path.join(root, "stacks") } as PlannerWorkspace;
    await mkdir(workspace.stacksDir, { recursive: true });
    await mkdir(path.join(workspace.dataDir, "artifacts"), { recursive: true });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** A finished bundle directory, last written `ageMs` ago. */
  const bundle = async (hex: string, ageMs: number) => {
    const dir = path.join(workspace.bundlesDir, hex);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "index.html"), hex);
    const when = new Date(Date.now() - ageMs);
    await utimes(dir, when, when);
  };
  const present = (hex: string) => stat(path.join(workspace.bundlesDir, hex)).then(() => true, () => false);

  it("removes old bundles that no retained version and no stack file names, and keeps the rest", async () => {
    await bundle(digest("a"), 2 * HOUR); // named by nothing: removed
    await bundle(digest("b"), 2 * HOUR); // a stack's retained version
    await bundle(digest("c"), 2 * HOUR); // what a stack file deploys now
    await bundle(digest("d"), 60_000); // too recent: a deploy in flight may use it
    await writeFile(path.join(workspace.dataDir, "artifacts", "shop.production.json"), JSON.stringify([`sha256:${digest("b")}`]));
    await writeFile(path.join(workspace.stacksDir, "Pulumi.shop.staging.yaml"), `config:\n  deployment-planner:spec:\n    artifact:\n      digest: sha256:${digest("c")}\n`);
    await writeFile(path.join(workspace.stacksDir, "notes.yaml"), `sha256:${digest("a")}\n`);

    expect(await pruneArtifacts(workspace)).toEqual([`sha256:${digest("a")}`]);
    expect(await Promise.all(["a", "b", "c", "d"].map((fill) => present(digest(fill))))).toEqual([false, true, true, true]);
  });

  it("removes nothing when a stack file cannot be read, since it might name any of them", async () => {
    await bundle(digest("e"), 2 * HOUR);
    // A directory where a stack file should be: reading it fails.
    await mkdir(path.join(workspace.stacksDir, "Pulumi.broken.development.yaml"));
    expect(await pruneArtifacts(workspace)).toEqual([]);
    expect(await present(digest("e"))).toBe(true);
  });

  it("leaves unfinished packagings and foreign directories alone", async () => {
    await bundle(`${digest("f")}.tmp`, 2 * HOUR);
    await bundle("not-a-digest", 2 * HOUR);
    expect(await pruneArtifacts(workspace)).toEqual([]);
    expect(await present(`${digest("f")}.tmp`)).toBe(true);
  });
});
