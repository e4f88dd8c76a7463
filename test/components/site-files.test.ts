import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cacheControlFor, contentTypeFor, IMMUTABLE, publishedDirectory, REVALIDATE, siteFiles } from "../../src/components/site-files";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "dp-site-files-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe("site files: what a static site publishes", () => {
  it("lists every file under the directory with a slash-separated key, in a stable order", () => {
    const root = tree({ "index.html": "<h1>hi</h1>", "assets/app.3f2a9c1b.js": "x", "about/index.html": "a", "b.css": "b" });
    expect(siteFiles(root).map((f) => f.key)).toEqual(["about/index.html", "assets/app.3f2a9c1b.js", "b.css", "index.html"]);
    expect(siteFiles(root).find((f) => f.key === "index.html")).toMatchObject({ source: path.join(root, "index.html"), size: 11 });
  });

  it("never publishes what a symbolic link points at (a bundle publishes only itself)", () => {
    const outside = tree({ "secret.txt": "not for the web" });
    const root = tree({ "index.html": "i" });
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "leak.txt"));
    symlinkSync(outside, path.join(root, "dir"));
    expect(siteFiles(root).map((f) => f.key)).toEqual(["index.html"]);
  });

  it("refuses a directory that is missing or has no index.html, naming only the directory", () => {
    expect(() => siteFiles(path.join(os.tmpdir(), "dp-no-such-dist"))).toThrow(/dp-no-such-dist is not in the bundle/);
    const root = tree({ "page.html": "p" });
    expect(() => siteFiles(root)).toThrow(/no index\.html/);
    expect(() => siteFiles(root)).not.toThrow(new RegExp(os.tmpdir().replace(/[/\\]/g, ".")));
  });

  it("serves pages with a charset and unknown files as bytes", () => {
    expect(contentTypeFor("index.html")).toBe("text/html; charset=utf-8");
    // RFC 9239 made text/javascript the one JavaScript type.
    expect(contentTypeFor("assets/app.js")).toBe("text/javascript; charset=utf-8");
    expect(contentTypeFor("logo.svg")).toBe("image/svg+xml");
    expect(contentTypeFor("data.unknownext")).toBe("application/octet-stream");
    expect(contentTypeFor("LICENSE")).toBe("application/octet-stream");
  });

  it("caches files named by their content for a year and makes pages and plain names revalidate", () => {
    expect(cacheControlFor("index.html")).toBe(REVALIDATE);
    expect(cacheControlFor("assets/app.3f2a9c1b.js")).toBe(IMMUTABLE);
    expect(cacheControlFor("assets/index-BxL2k9Qa.css")).toBe(IMMUTABLE);
    expect(cacheControlFor("bootstrap.min.js")).toBe(REVALIDATE);
    expect(cacheControlFor("style.css")).toBe(REVALIDATE);
    expect(cacheControlFor("robots.txt")).toBe(REVALIDATE);
  });

  it("publishes a static build's output directory, and the whole bundle otherwise", () => {
    const build = { kind: "static", output_dir: "dist" } as Parameters<typeof publishedDirectory>[0]["build"];
    expect(publishedDirectory({ build }, "/b")).toBe(path.join("/b", "dist"));
    expect(publishedDirectory({ build: { ...build, output_dir: null } }, "/b")).toBe("/b");
    expect(publishedDirectory({ build: { ...build, kind: "node" } }, "/b")).toBe("/b");
  });
});
