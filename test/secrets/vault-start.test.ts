import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OPENBAO_BIN_ENV } from "../../src/toolchain/openbao";
import { startVaultDevServer } from "../support/vault";

describe("the tests' Vault-compatible server", () => {
  let root = "";
  const named = process.env[OPENBAO_BIN_ENV];
  afterAll(async () => {
    if (named === undefined) delete process.env[OPENBAO_BIN_ENV];
    else process.env[OPENBAO_BIN_ENV] = named;
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("fails at once with the reason when its binary cannot be run, instead of waiting out its timeout", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-bao-"));
    const binary = path.join(root, "bao");
    await writeFile(binary, "not a program");
    await chmod(binary, 0o644);
    process.env[OPENBAO_BIN_ENV] = binary;
    const started = Date.now();
    await expect(startVaultDevServer()).rejects.toThrow(/bao server could not be run: spawn .*bao EACCES/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
