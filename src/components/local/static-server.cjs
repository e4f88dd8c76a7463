#!/usr/bin/env node
// Serves one release of a static site: the bundle directory given as the only argument, on PORT, loopback only.
// Dependency-free so a release starts in milliseconds.
"use strict";

const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(process.argv[2] || ".");
const port = Number(process.env.PORT);
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

function resolveFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split("?")[0]);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const candidate = path.resolve(root, "." + path.posix.normalize("/" + decoded));
  // Anything that normalizes outside the bundle is refused, whatever the encoding of the dots.
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null;
  try {
    const info = fs.statSync(candidate);
    if (info.isDirectory()) {
      const index = path.join(candidate, "index.html");
      return fs.existsSync(index) ? index : null;
    }
    return info.isFile() ? candidate : null;
  } catch {
    // Clean URLs: /about serves about.html.
    const html = candidate + ".html";
    return fs.existsSync(html) ? html : null;
  }
}

const server = http.createServer((req, res) => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" });
    res.end();
    return;
  }
  const file = resolveFile(req.url || "/");
  if (!file) {
    const notFound = path.join(root, "404.html");
    const body = fs.existsSync(notFound) ? fs.readFileSync(notFound) : "not found\n";
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
    res.end(req.method === "HEAD" ? undefined : body);
    return;
  }
  const info = fs.statSync(file);
  res.writeHead(200, {
    "content-type": TYPES[path.extname(file).toLowerCase()] || "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-cache",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  fs.createReadStream(file).pipe(res);
});
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
