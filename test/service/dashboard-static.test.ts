import http from "node:http";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/service/api";
import { defaultDashboardDir, packageRoot, SCREEN_PATHS } from "../../src/service/dashboard-static";
import type { ServiceDatabase } from "../../src/service/database";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** One raw HTTP request, its path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(base: string, requestPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: requestPath, method: "GET", headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer to ${requestPath} within 10 s`)));
    request.on("error", reject);
    request.end();
  });
}

/** The dashboard's files served by the API's own server, from a built directory made here. */
describe("the dashboard's pages and files", () => {
  let root = "";
  let publicDir = "";
  let database: ServiceDatabase;
  const apps: FastifyInstance[] = [];
  let base = "";
  // Machine paths inside the files: the caller-text boundary must leave the built files exactly as they are.
  const indexHtml = `<!doctype html><html><head><link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/app.js"></script></head><body><div id="app"></div><!-- ${os.tmpdir()}/x --></body></html>`;
  const appJs = `const home = "${os.homedir()}/build";\n${"export const screens = ['projects', 'stacks', 'audit'];\n".repeat(40)}`;
  const appCss = `${"body { margin: 0; color: #111; }\n".repeat(30)}`;

  async function start(options: { dashboard?: boolean; dashboardDir?: string }): Promise<string> {
    const app = await buildApi({ database, sourceRoots: [root], version: "test", ...options });
    apps.push(app);
    return app.listen({ host: "127.0.0.1", port: 0 });
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-dashboard-static-"));
    publicDir = path.join(root, "public");
    await mkdir(path.join(publicDir, "icons"), { recursive: true });
    await writeFile(path.join(publicDir, "index.html"), indexHtml);
    await writeFile(path.join(publicDir, "app.js"), appJs);
    await writeFile(path.join(publicDir, "app.css"), appCss);
    await writeFile(path.join(publicDir, "icons", "logo.svg"), `<svg xmlns="http://www.w3.org/2000/svg"/>`);
    await writeFile(path.join(publicDir, ".hidden"), "hidden");
    await writeFile(path.join(root, "secret.txt"), "outside the dashboard");
    // A link inside the directory that points out of it must serve nothing.
    await symlink(path.join(root, "secret.txt"), path.join(publicDir, "leak.txt"));
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    base = await start({ dashboardDir: publicDir });
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  it("answers index.html on every screen's URL, with the strict CSP and the other security headers", async () => {
    const screens = SCREEN_PATHS.map((screen) => screen.replace(":project", "shop").replace(":environment", "production").replace(":id", "0f3c2a1e-0000-4000-8000-000000000000"));
    expect(screens).toEqual(["/", "/sign-in", "/projects", "/projects/shop", "/stacks/shop/production", "/stacks/shop/production/rollout", "/new", "/deployments/0f3c2a1e-0000-4000-8000-000000000000", "/audit"]);
    for (const screen of [...screens, "/projects?filter=x"]) {
      const response = await fetch(`${base}${screen}`);
      expect(response.status, screen).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(response.headers.get("content-security-policy")).toBe(CSP);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin");
      // Exactly as built: no machine path replaced by the caller-text boundary.
      expect(await response.text()).toBe(indexHtml);
    }
    // API answers carry the same headers.
    const health = await fetch(`${base}/healthz`);
    expect(health.headers.get("content-security-policy")).toBe(CSP);
  });

  it("serves the built files with their types, an ETag that revalidates, and compressed forms", async () => {
    for (const [file, type, text] of [
      ["app.js", "text/javascript; charset=utf-8", appJs],
      ["app.css", "text/css; charset=utf-8", appCss],
      ["icons/logo.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`],
    ] as const) {
      const plain = await rawGet(base, `/assets/${file}`);
      expect(plain.status, file).toBe(200);
      expect(plain.headers["content-type"]).toBe(type);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers["content-security-policy"]).toBe(CSP);
      expect(plain.body.toString("utf8")).toBe(text);
      const etag = plain.headers.etag!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      const again = await rawGet(base, `/assets/${file}`, { "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      expect((await rawGet(base, `/assets/${file}`, { "if-none-match": '"other"' })).status).toBe(200);
    }
    const brotli = await rawGet(base, "/assets/app.js", { "accept-encoding": "gzip, deflate, br" });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(brotli.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(brotli.body).toString("utf8")).toBe(appJs);
    // The compressed form has a validator of its own, and revalidates like the plain one.
    const plainTag = (await rawGet(base, "/assets/app.js")).headers.etag;
    expect(brotli.headers.etag).not.toBe(plainTag);
    expect((await rawGet(base, "/assets/app.js", { "accept-encoding": "br", "if-none-match": brotli.headers.etag! })).status).toBe(304);
    expect((await rawGet(base, "/assets/app.js", { "accept-encoding": "br", "if-none-match": plainTag! })).status).toBe(200);
    expect(brotli.body.length).toBeLessThan(Buffer.byteLength(appJs) / 3);
    const gzipped = await rawGet(base, "/assets/app.css", { "accept-encoding": "gzip;q=1, br;q=0" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzipped.body).toString("utf8")).toBe(appCss);
    // A file changed by a rebuild is served anew, with a new ETag.
    const before = (await rawGet(base, "/assets/app.css")).headers.etag;
    await writeFile(path.join(publicDir, "app.css"), `${appCss}/* rebuilt */\n`);
    const after = await rawGet(base, "/assets/app.css");
    expect(after.body.toString("utf8")).toContain("rebuilt");
    expect(after.headers.etag).not.toBe(before);
  });

  it("refuses every way out of the directory, hidden files, links leading out and listings", async () => {
    const attempts = [
      "/assets/../package.json",
      "/assets/../../package.json",
      "/assets/%2e%2e/package.json",
      "/assets/%2E%2E%2Fpackage.json",
      "/assets/..%2fpackage.json",
      "/assets/..%5cpackage.json",
      "/assets/.%2e/.%2e/package.json",
      "/assets/%252e%252e/package.json",
      "/assets/icons/../../secret.txt",
      "/assets//etc/passwd",
      "/assets/%2fetc%2fpasswd",
      "/assets/leak.txt",
      "/assets/.hidden",
      "/assets/",
      "/assets/icons",
      "/assets/icons/",
      "/assets/app.js%00.html",
      "/assets/missing.js",
      "/../package.json",
      "/sign-in/../package.json",
    ];
    for (const attempt of attempts) {
      const answer = await rawGet(base, attempt);
      expect([400, 404], attempt).toContain(answer.status);
      const text = answer.body.toString("utf8");
      expect(text, attempt).not.toContain("outside the dashboard");
      expect(text, attempt).not.toContain('"devDependencies"');
      expect(text, attempt).not.toContain("root:");
      expect(JSON.parse(text), attempt).toMatchObject({ status: "error", fix_suggestion: expect.any(String) });
    }
  });

  it("answers 503 saying to run the build when the dashboard's files are missing", async () => {
    const unbuilt = await start({ dashboardDir: path.join(root, "never-built") });
    for (const route of ["/", "/projects", "/assets/app.js"]) {
      const response = await fetch(`${unbuilt}${route}`);
      expect(response.status, route).toBe(503);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: "error", stage: "env_setup", fix_suggestion: expect.stringContaining("npm run build") });
      expect(JSON.stringify(body)).not.toContain(root);
    }
    expect((await fetch(`${unbuilt}/healthz`)).status).toBe(200);
  });

  it("serves no page and no file with the dashboard turned off, and the API still answers", async () => {
    const apiOnly = await start({ dashboard: false, dashboardDir: publicDir });
    for (const route of ["/", "/sign-in", "/projects/shop", "/assets/app.js", "/assets/app.css"]) {
      const response = await fetch(`${apiOnly}${route}`);
      expect(response.status, route).toBe(404);
      expect(await response.json()).toMatchObject({ status: "error", fix_suggestion: expect.any(String) });
    }
    expect(await (await fetch(`${apiOnly}/healthz`)).json()).toEqual({ status: "ok" });
    expect((await fetch(`${apiOnly}/v1/sessions/current`)).status).toBe(401);
  });

  it("keeps the dashboard's URLs out of the API's OpenAPI document", async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((route) => !route.startsWith("/v1/") && !["/healthz", "/readyz", "/metrics", "/openapi.json"].includes(route))).toEqual([]);
  });

  it("finds the built dashboard from the package root, from the sources as from dist", () => {
    expect(packageRoot()).toBe(REPO);
    expect(packageRoot(path.join(REPO, "dist", "service"))).toBe(REPO);
    expect(defaultDashboardDir()).toBe(path.join(REPO, "dist", "dashboard", "public"));
  });
});
