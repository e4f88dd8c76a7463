import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { contentType as mimeContentType } from "mime-types";
import type { StackSpec } from "../planner/spec";

/** One file a static site publishes: where it is on disk, the object key it is served under, and its headers. */
export interface SiteFile {
  /** Object key: the path relative to the published directory, with `/` separators (e.g. `assets/app.3f2a9c.js`). */
  readonly key: string;
  /** Absolute path of the file on the deploying machine. */
  readonly source: string;
  /** `Content-Type` the file is served with; `application/octet-stream` when the extension is unknown. */
  readonly contentType: string;
  /** `Cache-Control` the file is served with (see `cacheControlFor`). */
  readonly cacheControl: string;
  /** Size in bytes. */
  readonly size: number;
}

/** Served with every HTML page and other unversioned file: caches keep a copy but ask again before using it. */
export const REVALIDATE = "public, max-age=0, must-revalidate";
/** Served with files whose name carries a content hash: they never change under that name. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

// A build tool's content hash in a file name: `app.3f2a9c1b.js`, `index-BxL2_k9Q.css`, `chunk.5e1f0a7c4d.mjs`.
const HASHED_NAME = /[.-]([A-Za-z0-9_]{8,})\.[a-z0-9]+$/;

/**
 * The `Cache-Control` of a published file. HTML and files without a content hash in their name must be revalidated,
 * or a redeploy would keep serving the old page from browser and CDN caches; a file named by its content (the hashed
 * assets every bundler emits) may be cached for a year.
 */
export function cacheControlFor(key: string): string {
  const base = key.split("/").pop() ?? key;
  if (/\.html?$/i.test(base)) return REVALIDATE;
  const hash = HASHED_NAME.exec(base)?.[1];
  // A hash mixes letters and digits; a plain word such as `bootstrap.min.js` is not one.
  return hash && /\d/.test(hash) && /[A-Za-z]/.test(hash) ? IMMUTABLE : REVALIDATE;
}

/** The `Content-Type` of a published file, with a charset for text. */
export function contentTypeFor(key: string): string {
  return mimeContentType(path.posix.extname(key) || ".bin") || "application/octet-stream";
}

/** The directory a static build publishes: the bundle's output directory when the build has one, else the bundle. */
export function publishedDirectory(spec: Pick<StackSpec, "build">, bundleDir: string): string {
  return spec.build.kind === "static" && spec.build.output_dir ? path.join(bundleDir, spec.build.output_dir) : bundleDir;
}

/**
 * Every file under `directory`, in a stable order, as the site serves it. Symbolic links are skipped (a bundle never
 * publishes a file outside itself), and so is nothing else. Throws when the directory does not exist or holds no
 * `index.html`, because such a site would deploy and answer every visitor with an error.
 */
export function siteFiles(directory: string): SiteFile[] {
  let stat;
  try {
    stat = statSync(directory);
  } catch {
    throw new Error(`the static site's files are missing: ${path.basename(directory)} is not in the bundle (check build.output_dir)`);
  }
  if (!stat.isDirectory()) throw new Error(`the static site's files are missing: ${path.basename(directory)} is not a directory`);
  const files: SiteFile[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const source = path.join(dir, entry.name);
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(source, key);
      else if (entry.isFile()) files.push({ key, source, contentType: contentTypeFor(key), cacheControl: cacheControlFor(key), size: statSync(source).size });
    }
  };
  walk(directory, "");
  if (!files.some((f) => f.key === "index.html")) {
    throw new Error(`the static site has no index.html at the top of ${path.basename(directory)}: visitors would get an error page (check build.output_dir)`);
  }
  return files;
}
