import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifiedCliVersion, verifiedVersionsFile } from "../../src/toolchain/cli-version";
import { cachedToolchainDir, defaultCacheRoot, ensurePulumi, PULUMI_VERSION } from "../../src/toolchain/pulumi";

// A stand-in CLI: a shell script that answers `version` like Pulumi's CLI and counts how often it was run, so the
// tests can tell a remembered version from a fresh check.
let dir: string;
let cacheRoot: string;
let cli: string;
let runs: string;

function writeCli(version: string, exitCode = 0): void {
  writeFileSync(cli, `#!/bin/sh\necho run >> "${runs}"\necho "v${version}"\nexit ${exitCode}\n`);
  chmodSync(cli, 0o755);
}

const runCount = () => (existsSync(runs) ? readFileSync(runs, "utf8").split("\n").filter(Boolean).length : 0);
const check = () => verifiedCliVersion(cli, process.env, cacheRoot);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "cli-version-"));
  cacheRoot = path.join(dir, "cache");
  cli = path.join(dir, "pulumi");
  runs = path.join(dir, "runs.log");
  writeCli("3.276.0");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the toolchain's version check", () => {
  it("runs a binary once: the same binary's version is remembered in the toolchain cache", async () => {
    expect(await check()).toBe("3.276.0");
    expect(await check()).toBe("3.276.0");
    expect(await check()).toBe("3.276.0");
    expect(runCount()).toBe(1);
    expect(JSON.parse(readFileSync(verifiedVersionsFile(cacheRoot), "utf8"))[cli].version).toBe("3.276.0");
  });

  it("checks a changed binary again, and reports the new version", async () => {
    expect(await check()).toBe("3.276.0");
    writeCli("3.277.0");
    expect(await check()).toBe("3.277.0");
    expect(runCount()).toBe(2);
  });

  it("checks a binary replaced in place with the same size and modification time again", async () => {
    expect(await check()).toBe("3.276.0");
    const before = statSync(cli);
    writeCli("3.276.9");
    expect(statSync(cli).size).toBe(before.size);
    utimesSync(cli, before.atime, before.mtime);
    expect(await check()).toBe("3.276.9");
    expect(runCount()).toBe(2);
  });

  it("checks again when the record is unreadable, truncated or in another shape, and repairs it", async () => {
    const record = verifiedVersionsFile(cacheRoot);
    expect(await check()).toBe("3.276.0");
    const shapes = ['{"truncated', "null", "[1,2]", JSON.stringify({ [cli]: { key: 42, version: "3.276.0" } }), JSON.stringify({ [cli]: null })];
    for (const [index, content] of shapes.entries()) {
      writeFileSync(record, content);
      expect(await check(), content).toBe("3.276.0");
      expect(runCount(), content).toBe(index + 2);
    }
    // Repaired: the next process trusts it again.
    expect(await check()).toBe("3.276.0");
    expect(runCount()).toBe(shapes.length + 1);
  });

  it("never remembers a failed check", async () => {
    writeCli("3.276.0", 1);
    expect(await check()).toBe("");
    expect(await check()).toBe("");
    expect(runCount()).toBe(2);
    expect(existsSync(verifiedVersionsFile(cacheRoot))).toBe(false);
  });

  it("keeps a record per path: another binary of the same version is checked on its own", async () => {
    expect(await check()).toBe("3.276.0");
    const other = path.join(dir, "other-pulumi");
    writeFileSync(other, readFileSync(cli));
    chmodSync(other, 0o755);
    expect(await verifiedCliVersion(other, process.env, cacheRoot)).toBe("3.276.0");
    expect(await check()).toBe("3.276.0");
    expect(runCount()).toBe(2);
  });
});

describe("ensurePulumi with the real CLI", () => {
  it("records the version of the CLI it finds in the cache root it is given", async () => {
    const realBin = cachedToolchainDir(defaultCacheRoot());
    const env = { ...process.env, PATH: `${realBin}${path.delimiter}${process.env.PATH ?? ""}` };
    const toolchain = await ensurePulumi({ env, cacheRoot, skipInstaller: true });
    expect(toolchain.version).toBe(PULUMI_VERSION);
    const record = JSON.parse(readFileSync(verifiedVersionsFile(cacheRoot), "utf8"));
    expect(record[toolchain.cliPath].version).toBe(PULUMI_VERSION);
    // The second look finds the same binary remembered: no check runs, so the record is not written again.
    const recordedAt = statSync(verifiedVersionsFile(cacheRoot)).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await ensurePulumi({ env, cacheRoot, skipInstaller: true });
    expect(again.cliPath).toBe(toolchain.cliPath);
    expect(statSync(verifiedVersionsFile(cacheRoot)).mtimeMs).toBe(recordedAt);
  });
});
