import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { archiveSource, BundleTooLargeError, unpackArchive } from "../../src/packager/archive";
import { bundleMatches, packageSource, PackageError } from "../../src/packager/index";

describe("bundle archives", () => {
  let root: string;
  let source: string;
  let bundlesDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-archive-"));
    source = path.join(root, "app");
    bundlesDir = path.join(root, "bundles");
    await mkdir(path.join(source, "bin"), { recursive: true });
    await writeFile(path.join(source, "index.html"), "<h1>hi</h1>\n");
    await writeFile(path.join(source, "bin", "start"), "#!/bin/sh\necho hi\n");
    await chmod(path.join(source, "bin", "start"), 0o755);
    await writeFile(path.join(root, "outside-secret.txt"), "not for the bundle\n");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names the same bundle packageSource makes, and unpacks it to the same content", async () => {
    const archived = await archiveSource(source, { maxBytes: 1024 * 1024 });
    const packaged = await packageSource(source, { bundlesDir: path.join(root, "packaged") });
    expect(archived.digest).toBe(packaged.digest);
    expect(archived.files).toBe(2);
    const dir = await unpackArchive(archived.archive, archived.digest, bundlesDir);
    expect(await bundleMatches(dir, archived.digest)).toBe(true);
    expect(await readFile(path.join(dir, "index.html"), "utf8")).toBe("<h1>hi</h1>\n");
    expect((await stat(path.join(dir, "bin", "start"))).mode & 0o111).not.toBe(0);
  });

  it("leaves out links, whether to a file or a directory outside the source", async () => {
    await symlink(path.join(root, "outside-secret.txt"), path.join(source, "secret.txt"));
    await symlink(root, path.join(source, "up"));
    const archived = await archiveSource(source, { maxBytes: 1024 * 1024 });
    expect(archived.files).toBe(2);
    expect(gunzipSync(archived.archive).toString("utf8")).not.toContain("not for the bundle");
  });

  it("refuses a source over the limit", async () => {
    await expect(archiveSource(source, { maxBytes: 8 })).rejects.toBeInstanceOf(BundleTooLargeError);
  });

  it("refuses bytes that do not match the digest, and writes nothing", async () => {
    const archived = await archiveSource(source, { maxBytes: 1024 * 1024 });
    const raw = gunzipSync(archived.archive);
    raw.writeUInt8(raw.readUInt8(raw.length - 2) ^ 1, raw.length - 2);
    await expect(unpackArchive(gzipSync(raw), archived.digest, bundlesDir)).rejects.toThrow(/do not match its digest/);
    await expect(unpackArchive(Buffer.from("not gzip"), archived.digest, bundlesDir)).rejects.toBeInstanceOf(PackageError);
    await expect(stat(bundlesDir)).rejects.toThrow();
  });

  it("refuses an archive whose paths lead out, even when its digest matches", async () => {
    const content = Buffer.from("escaped\n");
    const raw = Buffer.concat([Buffer.from(`../escaped.txt\u0000644\u0000${content.length}\u0000`), content]);
    const digest = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
    await expect(unpackArchive(gzipSync(raw), digest, bundlesDir)).rejects.toThrow(/malformed/);
    await expect(stat(path.join(root, "escaped.txt"))).rejects.toThrow();
  });
});
