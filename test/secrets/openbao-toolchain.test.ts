import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baoVersion, cachedOpenBaoPath, ensureOpenBao, OPENBAO_VERSION } from "../../src/toolchain/openbao";

let real: string;
let dir: string;

beforeAll(async () => {
  // The run's global setup (or the first call here) has built or found the real binary.
  real = (await ensureOpenBao()).path;
  dir = await mkdtemp(path.join(os.tmpdir(), "openbao-toolchain-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ensureOpenBao", () => {
  it("reports the pinned version for the binary it provides", async () => {
    expect(await baoVersion(real)).toBe(OPENBAO_VERSION);
  });

  it("takes the binary named by DEPLOYMENT_PLANNER_OPENBAO_BIN first", async () => {
    const found = await ensureOpenBao({ env: { PATH: "", DEPLOYMENT_PLANNER_OPENBAO_BIN: real }, cacheRoot: path.join(dir, "unused") });
    expect(found).toEqual({ path: real, version: OPENBAO_VERSION, obtained: "env" });
  });

  it("finds bao on PATH before the cache", async () => {
    const bin = path.join(dir, "bin");
    await mkdir(bin, { recursive: true });
    await symlink(real, path.join(bin, "bao"));
    const found = await ensureOpenBao({ env: { PATH: bin }, cacheRoot: path.join(dir, "unused") });
    expect(found).toEqual({ path: path.join(bin, "bao"), version: OPENBAO_VERSION, obtained: "path" });
  });

  it("finds a cached build under <cache>/openbao/<version>/bao", async () => {
    const cacheRoot = path.join(dir, "cache");
    const target = cachedOpenBaoPath(cacheRoot);
    expect(target).toBe(path.join(cacheRoot, "openbao", OPENBAO_VERSION, "bao"));
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(real, target);
    expect(await ensureOpenBao({ env: { PATH: "" }, cacheRoot })).toEqual({ path: target, version: OPENBAO_VERSION, obtained: "cache" });
  });

  it("skips a bao on PATH that does not run, and says so when nothing else works", async () => {
    const bin = path.join(dir, "broken");
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, "bao"), "#!/bin/sh\nexit 3\n", { mode: 0o755 });
    // No Go on PATH either, so the build cannot start: the error lists both attempts.
    await expect(ensureOpenBao({ env: { PATH: bin }, cacheRoot: path.join(dir, "empty-cache") })).rejects.toMatchObject({
      code: "OPENBAO_UNAVAILABLE",
      attempts: [`${path.join(bin, "bao")} is not a working OpenBao binary`, "building OpenBao needs Go on PATH, and `go version` failed"],
    });
  });
});
