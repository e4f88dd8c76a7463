import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { localTime, percent, plural, safeHref, shortDigest, timeAgo } from "../../src/dashboard/ui/format";

const ROOT = path.resolve(__dirname, "..", "..");
const PUBLIC = path.join(ROOT, "dist", "dashboard", "public");

/** The most the dashboard's own JS and CSS may weigh together, compressed. */
const BUDGET_BYTES = 150 * 1024;

/**
 * XML namespace names Preact sets on SVG elements: identifiers compared as strings, never requested, so they are
 * the only absolute URLs the bundle may hold.
 */
const NAMESPACE_NAMES = new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1998/Math/MathML"]);

describe("the dashboard's bundle", () => {
  let js = "";
  let css = "";
  let html = "";

  beforeAll(async () => {
    const { buildDashboard } = require(path.join(ROOT, "scripts", "build-dashboard.cjs")) as { buildDashboard(): Promise<string[]> };
    await buildDashboard();
    const read = (name: string) => readFile(path.join(PUBLIC, name), "utf8");
    [js, css, html] = await Promise.all([read("app.js"), read("app.css"), read("index.html")]);
  }, 120_000);

  it("keeps app.js and app.css within 150 KB compressed together", () => {
    const compressed = gzipSync(js).length + gzipSync(css).length;
    expect(compressed).toBeGreaterThan(1000);
    expect(compressed).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it("needs no eval or Function constructor, which the Content-Security-Policy forbids", () => {
    // Matches are listed, not the whole bundle, when this fails.
    expect(js.match(/\beval\s*\(|new\s+Function\s*\(/g) ?? []).toEqual([]);
  });

  it("names no other host: every request goes to the service itself", () => {
    const urls = [...`${js}\n${css}\n${html}`.matchAll(/https?:\/\/[^\s"'`)<>\\]+/g)].map((match) => match[0]);
    expect(urls.filter((url) => !NAMESPACE_NAMES.has(url))).toEqual([]);
  });

  it("loads one module script and one stylesheet from /assets, with no inline script or style", () => {
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/app.css" />');
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it("never renders API text as HTML: no source sets markup from a string", async () => {
    const sources = await readdir(path.join(ROOT, "src", "dashboard", "ui"), { recursive: true });
    const offenders: string[] = [];
    for (const file of sources.filter((name) => /\.tsx?$/.test(name))) {
      const text = await readFile(path.join(ROOT, "src", "dashboard", "ui", file), "utf8");
      if (/dangerouslySetInnerHTML|\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write/.test(text)) offenders.push(file);
    }
    expect(sources.length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });
});

describe("the dashboard's wording of times and counts", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");

  it("says how long ago a time was, in the largest unit that fits", () => {
    expect(timeAgo("2026-12-06T11:59:50Z", now)).toBe("just now");
    expect(timeAgo("2026-12-06T11:57:00Z", now)).toBe("3 min ago");
    expect(timeAgo("2026-12-06T10:00:00Z", now)).toBe("2 h ago");
    expect(timeAgo("2026-12-01T12:00:00Z", now)).toBe("5 days ago");
    expect(timeAgo("2026-12-05T12:00:00Z", now)).toBe("1 day ago");
    expect(timeAgo("2026-12-06T12:10:00Z", now)).toBe("in 10 min");
  });

  it("says nothing for a missing or unreadable time instead of 'NaN min ago'", () => {
    expect(timeAgo(null, now)).toBe("");
    expect(timeAgo("yesterday", now)).toBe("");
    expect(localTime("not a time")).toBe("");
  });

  it("shows a time in the person's own time zone", () => {
    expect(localTime("2026-12-06T12:00:00Z", "Europe/Berlin")).toMatch(/13:00|1:00/);
    expect(localTime("2026-12-06T12:00:00Z", "America/New_York")).toMatch(/07:00|7:00/);
  });

  it("counts in words with the right plural", () => {
    expect(plural(1, "entry", "entries")).toBe("1 entry");
    expect(plural(3, "entry", "entries")).toBe("3 entries");
    expect(plural(0, "stack")).toBe("0 stacks");
  });

  it("shortens digests and shows shares as percentages", () => {
    expect(shortDigest("sha256:0123456789abcdef0123")).toBe("sha256:0123456789ab");
    expect(shortDigest(null)).toBe("");
    expect(percent(0.025)).toBe("2.5%");
    expect(percent(null)).toBe("–");
  });

  it("links only http and https URLs, so a hostile URL cannot run script", () => {
    expect(safeHref("http://127.0.0.1:4000/")).toBe("http://127.0.0.1:4000/");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,<script>")).toBeNull();
    expect(safeHref("not a url")).toBeNull();
  });
});
