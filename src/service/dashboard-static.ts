import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { failure } from "../outcome";
import { UNSCRUBBED } from "./api-context";
import { NotFound, Unavailable } from "./http-errors";

/**
 * The web dashboard's files, served by the API's own server: `index.html` for every screen's URL (the browser app
 * routes from there) and the built files under `/assets/`, each with its content type, an ETag, revalidation and a
 * compressed form when the browser takes one. Only regular files directly named inside the built directory are served:
 * no listing, no `..`, no hidden file, no link leading out.
 */

/** The URLs of the dashboard's screens; each answers `index.html`. */
export const SCREEN_PATHS = [
  "/",
  "/sign-in",
  "/projects",
  "/projects/:project",
  "/stacks/:project/:environment",
  "/stacks/:project/:environment/rollout",
  "/new",
  "/deployments/:id",
  "/audit",
] as const;

/**
 * Headers every answer carries: a Content-Security-Policy that allows only this origin's own script, style, images
 * and connections (no inline script, no eval, no framing), and the headers that stop sniffing, referrers and framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** Content types by file extension; anything else is sent as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Types worth compressing (images and fonts are compressed already). */
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg\+xml)/;

/** A path segment of a served file: starts with a letter or digit, then letters, digits, '.', '_', '-'. */
const FILE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The name of this package, whose root holds `dist/dashboard/public`. */
const PACKAGE_NAME = "deployment-planner";

/**
 * The root of this package: the nearest directory above `from` holding its package.json. The same walk works from
 * the compiled `dist/service/` and from the TypeScript sources under `src/service/`.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      const name = (() => {
        try {
          return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name;
        } catch {
          return undefined;
        }
      })();
      if (name === PACKAGE_NAME) return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
  }
}

/** Where `npm run build` writes the dashboard: `dist/dashboard/public` of this package. */
export function defaultDashboardDir(): string {
  return path.join(packageRoot(), "dist", "dashboard", "public");
}

/** A file as served: its bytes, validator and type, with its compressed forms once made. */
interface ServedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly body: Buffer;
  readonly etag: string;
  readonly type: string;
  gzip?: Promise<Buffer>;
  br?: Promise<Buffer>;
}

const gzipped = promisify(gzip);
const brotli = promisify(brotliCompress);

/** The encodings a request's `Accept-Encoding` allows, by name (a `q=0` refuses one). */
function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of String(header ?? "").slice(0, 500).split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const quality = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (name && (quality === undefined || Number(quality.slice(2)) > 0)) accepted.add(name);
  }
  return accepted;
}

/** Whether `If-None-Match` names `etag` (or any). */
function notModified(header: string | string[] | undefined, etag: string): boolean {
  if (typeof header !== "string") return false;
  return header.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/** The failure of a dashboard whose files were never built. */
const NOT_BUILT = failure(
  "env_setup",
  "the dashboard is not built: this installation has no dashboard files",
  "Run 'npm run build' (it bundles the dashboard into dist/dashboard/public), or start the service with --no-dashboard.",
);

const NO_FILE = failure("validation", "no such dashboard file", "Open the dashboard from its start page; only the files its pages name are served.");

/** Serves the dashboard's files from `dir`, caching each file's bytes and compressed forms until it changes. */
class DashboardFiles {
  private readonly cache = new Map<string, ServedFile>();
  private root: string | null = null;

  constructor(private readonly dir: string) {}

  /** The served file at `segments` under the directory; throws `NotFound` or, with no build at all, `Unavailable`. */
  private async file(segments: readonly string[]): Promise<ServedFile> {
    if (segments.length === 0 || segments.length > 8 || !segments.every((segment) => FILE_SEGMENT.test(segment))) throw new NotFound(NO_FILE);
    this.root ??= await realpath(this.dir).catch(() => null);
    if (this.root === null) throw new Unavailable(NOT_BUILT);
    const wanted = path.join(this.root, ...segments);
    // A link inside the directory that leads out of it serves nothing.
    const real = await realpath(wanted).catch(() => null);
    const info = real === null ? null : await stat(real).catch(() => null);
    if (real === null || !real.startsWith(this.root + path.sep) || !info?.isFile()) {
      // A rebuild may have replaced the directory itself; without index.html there is no dashboard at all.
      if (!existsSync(this.dir) || segments.join("/") === "index.html") {
        this.root = null;
        throw new Unavailable(NOT_BUILT);
      }
      throw new NotFound(NO_FILE);
    }
    const cached = this.cache.get(real);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(real);
    const served: ServedFile = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      type: CONTENT_TYPES[path.extname(real).toLowerCase()] ?? "application/octet-stream",
    };
    this.cache.set(real, served);
    return served;
  }

  /** Answers `request` with the file at `segments`, revalidated by ETag; `index.html` is never cached unchecked. */
  async send(request: FastifyRequest, reply: FastifyReply, segments: readonly string[]): Promise<FastifyReply> {
    const file = await this.file(segments);
    // The bytes leave as built: the caller-text boundary is for answers built from a caller's input.
    UNSCRUBBED.add(reply);
    const accepted = acceptedEncodings(request.headers["accept-encoding"]);
    const compressible = COMPRESSIBLE.test(file.type) && file.body.length >= 256;
    const encoding = !compressible ? null : accepted.has("br") ? "br" : accepted.has("gzip") ? "gzip" : null;
    // Each encoding is a representation of its own, with its own validator.
    const etag = encoding === null ? file.etag : `${file.etag.slice(0, -1)}-${encoding}"`;
    // The files keep their names from build to build, so a browser revalidates each (a 304 costs no body).
    reply.header("cache-control", "no-cache").header("etag", etag).header("vary", "accept-encoding");
    if (notModified(request.headers["if-none-match"], etag)) return reply.code(304).send();
    reply.type(file.type);
    if (encoding === "br") {
      file.br ??= brotli(file.body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: file.body.length } });
      return reply.header("content-encoding", "br").send(await file.br);
    }
    if (encoding === "gzip") {
      file.gzip ??= gzipped(file.body, { level: 9 });
      return reply.header("content-encoding", "gzip").send(await file.gzip);
    }
    return reply.send(file.body);
  }
}

/**
 * Registers the dashboard on `app`: every screen's URL answers `index.html`, `/assets/<file>` the built file of that
 * name in `dir`. Registered before the API's routes start being collected for its OpenAPI document, which describes
 * the API only.
 */
export function registerDashboard(app: FastifyInstance, dir: string): void {
  const files = new DashboardFiles(dir);
  for (const screen of SCREEN_PATHS) {
    app.get(screen, async (request, reply) => files.send(request, reply, ["index.html"]));
  }
  app.get("/assets/*", async (request, reply) => {
    const rest = (request.params as { "*"?: string })["*"] ?? "";
    return files.send(request, reply, rest.split("/"));
  });
}
