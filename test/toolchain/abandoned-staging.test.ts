import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeAbandonedStaging, stagingPrefix } from "../../src/toolchain/locations";

describe("removeAbandonedStaging", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dp-staging-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("removes the staging of a build whose process is gone, or of any older than the longest build, and keeps a running build's", async () => {
    // A pid that surely ran and is gone: a child that already exited.
    const exited = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const gonePid = Number(exited.stdout);
    expect(gonePid).toBeGreaterThan(0);
    const mine = `${stagingPrefix()}abc123`;
    const killed = `.build-${gonePid}-def456`;
    const unnamedRecent = ".build-XyZ987";
    const unnamedOld = ".build-Old123";
    for (const name of [mine, killed, unnamedRecent, unnamedOld, "bin"]) await mkdir(path.join(dir, name, "bin"), { recursive: true });
    const longAgo = new Date(Date.now() - 5 * 3600_000);
    await utimes(path.join(dir, unnamedOld), longAgo, longAgo);

    expect((await removeAbandonedStaging(dir)).sort()).toEqual([unnamedOld, killed].sort());
    expect((await readdir(dir)).sort()).toEqual([mine, unnamedRecent, "bin"].sort());
  });

  it("does nothing for a directory that does not exist", async () => {
    expect(await removeAbandonedStaging(path.join(dir, "missing"))).toEqual([]);
  });
});
