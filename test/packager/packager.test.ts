import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleMatches, packageSource, PackageError } from "../../src/packager/index";

describe("packageSource", () => {
  let root: string;
  let source: string;
  let bundlesDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-pack-"));
    source = path.join(root, "app");
    bundlesDir = path.join(root, "bundles");
    await mkdir(path.join(source, "assets"), { recursive: true });
    await writeFile(path.join(source, "index.html"), "<h1>hi</h1>\n");
    await writeFile(path.join(source, "assets", "app.js"), "console.log(1)\n");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("gives an unchanged source the same digest and the same bundle path", async () => {
    const first = await packageSource(source, { bundlesDir });
    const second = await packageSource(source, { bundlesDir });
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).toEqual(first);
    expect(await readFile(path.join(first.path, "assets", "app.js"), "utf8")).toBe("console.log(1)\n");
  });

  it("changes the digest when one byte of one file changes", async () => {
    const first = await packageSource(source, { bundlesDir });
    await writeFile(path.join(source, "index.html"), "<h1>hi</h1>!\n");
    const second = await packageSource(source, { bundlesDir });
    expect(second.digest).not.toBe(first.digest);
    expect(second.path).not.toBe(first.path);
  });

  it("changes the digest when a file becomes executable", async () => {
    const first = await packageSource(source, { bundlesDir });
    await chmod(path.join(source, "assets", "app.js"), 0o755);
    const second = await packageSource(source, { bundlesDir });
    expect(second.digest).not.toBe(first.digest);
  });

  it("changes the digest when a file is renamed but its content is not", async () => {
    const first = await packageSource(source, { bundlesDir });
    await rm(path.join(source, "assets", "app.js"));
    await writeFile(path.join(source, "assets", "main.js"), "console.log(1)\n");
    expect((await packageSource(source, { bundlesDir })).digest).not.toBe(first.digest);
  });

  it("leaves out dotenv files, node_modules and .git, which do not change the digest", async () => {
    const first = await packageSource(source, { bundlesDir });
    await writeFile(path.join(source, ".env"), "STRIPE_SECRET_KEY=sk_live_do_not_ship\n");
    await mkdir(path.join(source, "node_modules", "x"), { recursive: true });
    await writeFile(path.join(source, "node_modules", "x", "index.js"), "1");
    await mkdir(path.join(source, ".git"));
    await writeFile(path.join(source, ".git", "HEAD"), "ref: refs/heads/main\n");
    const second = await packageSource(source, { bundlesDir });
    expect(second.digest).toBe(first.digest);
    expect(second.files).toBe(2);
  });

  it("honours .gitignore in every directory and .dockerignore at the root, so local clutter never changes the digest", async () => {
    await writeFile(path.join(source, ".gitignore"), "*.log\ncoverage/\n!keep.log\n");
    await writeFile(path.join(source, ".dockerignore"), "scratch.txt\n");
    await writeFile(path.join(source, "assets", ".gitignore"), "generated-*.js\n");
    const first = await packageSource(source, { bundlesDir });

    await writeFile(path.join(source, "debug.log"), "noise");
    await mkdir(path.join(source, "coverage"), { recursive: true });
    await writeFile(path.join(source, "coverage", "lcov.info"), "noise");
    await writeFile(path.join(source, "scratch.txt"), "noise");
    await writeFile(path.join(source, "assets", "generated-123.js"), "noise");
    const cluttered = await packageSource(source, { bundlesDir });
    expect(cluttered.digest).toBe(first.digest);

    // What the rules do not exclude is shipped: a negated pattern, and the same name outside the nested rule's directory.
    await writeFile(path.join(source, "keep.log"), "kept");
    await writeFile(path.join(source, "generated-top.js"), "kept");
    const shipped = await packageSource(source, { bundlesDir });
    expect(shipped.digest).not.toBe(first.digest);
    expect(await readFile(path.join(shipped.path, "keep.log"), "utf8")).toBe("kept");
    expect(await readFile(path.join(shipped.path, "generated-top.js"), "utf8")).toBe("kept");
    await expect(readFile(path.join(shipped.path, "debug.log"))).rejects.toThrow();
    await expect(readFile(path.join(shipped.path, "assets", "generated-123.js"))).rejects.toThrow();
  });

  it("checks that a bundle still matches its digest", async () => {
    const bundle = await packageSource(source, { bundlesDir });
    expect(await bundleMatches(bundle.path, bundle.digest)).toBe(true);
    await writeFile(path.join(bundle.path, "index.html"), "tampered");
    expect(await bundleMatches(bundle.path, bundle.digest)).toBe(false);
    expect(await bundleMatches(path.join(root, "gone"), bundle.digest)).toBe(false);
  });

  it("rejects a missing source directory with a package error naming it", async () => {
    await expect(packageSource(path.join(root, "nope"), { bundlesDir })).rejects.toThrow(PackageError);
    await expect(packageSource(path.join(root, "nope"), { bundlesDir })).rejects.toThrow(/nope does not exist/);
  });

  it("rejects an empty source directory", async () => {
    await mkdir(path.join(root, "empty"));
    await expect(packageSource(path.join(root, "empty"), { bundlesDir })).rejects.toThrow(/holds no files/);
  });

  it("rejects a source over the size limit", async () => {
    await expect(packageSource(source, { bundlesDir, maxBytes: 5 })).rejects.toThrow(/over the 5-byte limit/);
  });
});
