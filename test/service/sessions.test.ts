import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/service/api";
import type { ServiceDatabase } from "../../src/service/database";
import { openJobQueue, type JobQueue } from "../../src/service/queue";
import { createToken, revokeToken, type CreatedToken } from "../../src/service/tokens";
import { closeTestDatabase, openTestDatabase } from "../support/database";

/** Dashboard sessions on a real PostgreSQL (the embedded server), a real queue (no worker) and a real socket. */
describe("dashboard sessions: cookie, CSRF token, expiry and revocation", () => {
  let root = "";
  let database: ServiceDatabase;
  let queue: JobQueue;
  let app: FastifyInstance;
  let base = "";
  let deployer: CreatedToken;
  let reader: CreatedToken;
  /** Each test speaks from its own client address, so the per-address rate limits of one do not reach another. */
  let address = 0;
  const nextAddress = () => `10.1.0.${++address}`;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-sessions-"));
    const sourceRoot = path.join(root, "sources");
    await mkdir(path.join(sourceRoot, "site"), { recursive: true });
    await writeFile(path.join(sourceRoot, "site", "index.html"), "<h1>site</h1>");
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    queue = await openJobQueue(database);
    app = await buildApi({ database, queue, sourceRoots: [sourceRoot], version: "test", trustProxy: true, rateLimit: { max: 25, windowMs: 60_000 }, dashboard: false });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    deployer = await createToken(database.pool, ["shop"], "deploy", "shop-deployer");
    reader = await createToken(database.pool, ["shop"], "read", "shop-reader");
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await queue?.stop({ graceful: false, wait: true, timeout: 10_000 }).catch(() => undefined);
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  const deploymentRequest = {
    project_id: "shop",
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source: "site",
  };

  interface Session {
    readonly cookie: string;
    readonly csrf: string;
    readonly setCookie: string;
    readonly body: Record<string, unknown>;
    readonly from: string;
  }

  async function signIn(token: string, headers: Record<string, string> = {}): Promise<Session> {
    const from = nextAddress();
    const response = await fetch(`${base}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": from, ...headers }, body: JSON.stringify({ token }) });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(201);
    const setCookie = response.headers.get("set-cookie") ?? "";
    const cookie = /^(dp_session=[^;]+)/.exec(setCookie)?.[1] ?? "";
    return { cookie, csrf: body.csrf_token as string, setCookie, body, from };
  }

  /** A request from `session`'s browser: its cookie, plus whatever else is given. */
  async function call(session: Session, method: string, route: string, options: { body?: string; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${base}${route}`, { method, headers: { cookie: session.cookie, "x-forwarded-for": session.from, ...options.headers }, body: options.body });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not every answer has a body (204).
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  const deploymentCount = async () => Number((await database.pool.query<{ count: string }>("select count(*) from deployment_planner.deployments")).rows[0]!.count);

  it("signs in with a token: an HttpOnly, SameSite=Strict cookie with an opaque id, of which the database keeps only a hash", async () => {
    const session = await signIn(deployer.token);
    expect(session.setCookie).toMatch(/^dp_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect(session.setCookie).not.toContain("Secure");
    expect(session.body).toMatchObject({ principal: { id: deployer.id, name: "shop-deployer", scope: "deploy", projects: ["shop"] }, csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/) });
    const expires = Date.parse(session.body.expires_at as string);
    expect(expires - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
    // Neither the token nor the session id is in the answer's body, and the id appears nowhere in the database's row.
    expect(JSON.stringify(session.body)).not.toContain(deployer.token);
    const id = session.cookie.slice("dp_session=".length);
    expect(JSON.stringify(session.body)).not.toContain(id);
    const rows = (await database.pool.query("select * from deployment_planner.sessions where token_id = $1", [deployer.id])).rows;
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(rows)).not.toContain(id);
    expect(rows.map((row: { id_hash: string }) => row.id_hash)).toContain(createHash("sha256").update(id).digest("hex"));
    // The current session answers the same principal and CSRF token.
    const current = await call(session, "GET", "/v1/sessions/current");
    expect(current.status).toBe(200);
    expect(current.json).toEqual(session.body);
    expect(current.headers.get("cache-control")).toBe("no-store");
  });

  it("marks the cookie Secure when the request came over TLS through a trusted proxy", async () => {
    const session = await signIn(deployer.token, { "x-forwarded-proto": "https" });
    expect(session.setCookie).toMatch(/; Secure$/);
  });

  it("refuses a wrong, revoked or malformed token with a failure result and sets no cookie", async () => {
    const revoked = await createToken(database.pool, ["shop"], "deploy");
    await revokeToken(database.pool, revoked.id);
    const from = nextAddress();
    for (const [body, status] of [
      [{ token: `${deployer.token.slice(0, -4)}AAAA` }, 401],
      [{ token: revoked.token }, 401],
      [{ token: "dp_nothing" }, 401],
      [{}, 400],
      [{ token: 42 }, 400],
      [{ token: "x".repeat(500) }, 400],
    ] as const) {
      const response = await fetch(`${base}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": from }, body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(await response.json()).toMatchObject({ status: "error", stage: status === 401 ? "access" : "validation", fix_suggestion: expect.any(String) });
    }
    // A form cannot sign anybody in: its body is no JSON object.
    const form = await fetch(`${base}/v1/sessions`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": from }, body: `token=${encodeURIComponent(deployer.token)}` });
    expect(form.status).toBe(400);
    expect(form.headers.get("set-cookie")).toBeNull();
  });

  it("rate-limits sign-in attempts by the client's address", async () => {
    const from = nextAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 27; i++) {
      const response = await fetch(`${base}/v1/sessions`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": from }, body: JSON.stringify({ token: `dp_${"0".repeat(16)}_${"A".repeat(43)}` }) });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 25).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(25)).toEqual([429, 429]);
  });

  it("acts as its token with the cookie: a state change needs the CSRF token, a read does not", async () => {
    const session = await signIn(deployer.token);
    const before = await deploymentCount();
    const json = { "content-type": "application/json" };
    const missing = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: json });
    expect(missing.status).toBe(403);
    expect(missing.json).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("CSRF token missing") });
    const wrong = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { ...json, "x-csrf-token": `${session.csrf.slice(0, -2)}xx` } });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ stage: "access", reason: expect.stringContaining("CSRF token wrong") });
    // Another session's CSRF token is no better.
    const other = await signIn(deployer.token);
    expect(other.csrf).not.toBe(session.csrf);
    expect((await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { ...json, "x-csrf-token": other.csrf } })).status).toBe(403);
    expect(await deploymentCount()).toBe(before);

    const accepted = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { ...json, "x-csrf-token": session.csrf } });
    expect(accepted.status, accepted.text).toBe(202);
    expect(await deploymentCount()).toBe(before + 1);
    // The deployment is the token's, as with a bearer token.
    expect(accepted.json).toMatchObject({ status: "queued", requested_by: `token:${deployer.id}`, requested_by_name: "shop-deployer" });
    const read = await call(session, "GET", `/v1/deployments/${accepted.json.id as string}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: accepted.json.id, requested_by: `token:${deployer.id}` });
    // Without the cookie the same read is refused.
    expect((await fetch(`${base}/v1/deployments/${accepted.json.id as string}`)).status).toBe(401);

    // The event stream (EventSource sends the cookie, never an Authorization header) opens with the cookie alone.
    const stream = new AbortController();
    const events = await fetch(`${base}/v1/deployments/${accepted.json.id as string}/events`, { headers: { cookie: session.cookie, "x-forwarded-for": session.from }, signal: stream.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    stream.abort();
  });

  it("refuses a forged cross-site form post that carries the cookie before it reaches any route", async () => {
    const session = await signIn(deployer.token);
    const before = await deploymentCount();
    const forms: [string, string][] = [
      ["application/x-www-form-urlencoded", "project_id=shop&deployment_type=static_site&source=site"],
      ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="project_id"\r\n\r\nshop\r\n--x--\r\n'],
      ["text/plain", JSON.stringify(deploymentRequest)],
    ];
    for (const [type, body] of forms) {
      for (const route of ["/v1/deployments", "/v1/stacks/shop/development/rollback", "/v1/hooks/generic/anything", "/v1/no-such-route"]) {
        const answer = await call(session, "POST", route, { body, headers: { "content-type": type } });
        expect(answer.status, `${type} ${route}`).toBe(403);
        expect(answer.json).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("CSRF") });
      }
    }
    const destroy = await call(session, "DELETE", "/v1/stacks/shop/development");
    expect(destroy.status).toBe(403);
    expect(await deploymentCount()).toBe(before);
    // A bearer token needs no CSRF token: no other site's page can send one.
    const bearer = await fetch(`${base}/v1/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${deployer.token}`, "content-type": "application/json", "x-forwarded-for": nextAddress() },
      body: JSON.stringify(deploymentRequest),
    });
    expect(bearer.status).toBe(202);
    // A request with an Authorization header is judged by it alone, cookie or not.
    const both = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { authorization: `Bearer ${reader.token}`, "content-type": "application/json" } });
    expect(both.status).toBe(403);
    expect(both.json).toMatchObject({ reason: expect.stringContaining("may not deploy") });
  });

  it("keeps a read token's session to reading", async () => {
    const session = await signIn(reader.token);
    expect(session.body).toMatchObject({ principal: { scope: "read", name: "shop-reader" } });
    const refused = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { "content-type": "application/json", "x-csrf-token": session.csrf } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ stage: "access", reason: expect.stringContaining("may not deploy") });
    const planned = await call(session, "POST", "/v1/plan", { body: JSON.stringify(deploymentRequest), headers: { "content-type": "application/json", "x-csrf-token": session.csrf } });
    expect(planned.status, planned.text).toBe(200);
  });

  it("ends every session of a token when the token is revoked", async () => {
    const token = await createToken(database.pool, ["shop"], "deploy");
    const first = await signIn(token.token);
    const second = await signIn(token.token);
    expect((await call(first, "GET", "/v1/sessions/current")).status).toBe(200);
    expect(await revokeToken(database.pool, token.id)).toBe(true);
    for (const session of [first, second]) {
      const after = await call(session, "GET", "/v1/sessions/current");
      expect(after.status).toBe(401);
      expect(after.json).toMatchObject({ status: "error", stage: "access" });
      expect((await call(session, "GET", "/v1/deployments/00000000-0000-4000-8000-000000000000")).status).toBe(401);
    }
    expect((await database.pool.query("select 1 from deployment_planner.sessions where token_id = $1", [token.id])).rowCount).toBe(0);
  });

  it("ends a session when it expires", async () => {
    const session = await signIn(deployer.token);
    expect((await call(session, "GET", "/v1/sessions/current")).status).toBe(200);
    const hash = createHash("sha256").update(session.cookie.slice("dp_session=".length)).digest("hex");
    await database.pool.query("update deployment_planner.sessions set expires_at = now() - interval '1 second' where id_hash = $1", [hash]);
    expect((await call(session, "GET", "/v1/sessions/current")).status).toBe(401);
    expect((await call(session, "GET", "/v1/deployments/00000000-0000-4000-8000-000000000000")).status).toBe(401);
    // A state change with the expired session's cookie still shows its CSRF token, and then finds no session.
    const forged = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { "content-type": "application/json" } });
    expect(forged.status).toBe(403);
    const post = await call(session, "POST", "/v1/deployments", { body: JSON.stringify(deploymentRequest), headers: { "content-type": "application/json", "x-csrf-token": session.csrf } });
    expect(post.status).toBe(401);
  });

  it("signs out with the CSRF token: the row is gone and the cookie cleared", async () => {
    const session = await signIn(deployer.token);
    const refused = await call(session, "DELETE", "/v1/sessions/current");
    expect(refused.status).toBe(403);
    expect((await call(session, "GET", "/v1/sessions/current")).status).toBe(200);
    const out = await call(session, "DELETE", "/v1/sessions/current", { headers: { "x-csrf-token": session.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^dp_session=; HttpOnly; SameSite=Strict; Path=\/; Max-Age=0$/);
    const hash = createHash("sha256").update(session.cookie.slice("dp_session=".length)).digest("hex");
    expect((await database.pool.query("select 1 from deployment_planner.sessions where id_hash = $1", [hash])).rowCount).toBe(0);
    expect((await call(session, "GET", "/v1/sessions/current")).status).toBe(401);
    // Signing in again from a signed-in browser replaces its session: the old cookie no longer signs anything.
    const again = await signIn(deployer.token);
    const replaced = await fetch(`${base}/v1/sessions`, {
      method: "POST",
      headers: { cookie: again.cookie, "content-type": "application/json", "x-forwarded-for": again.from },
      body: JSON.stringify({ token: reader.token }),
    });
    expect(replaced.status).toBe(201);
    expect(((await replaced.json()) as { principal: { scope: string } }).principal.scope).toBe("read");
    expect((await call(again, "GET", "/v1/sessions/current")).status).toBe(401);
    // A bearer token is no session.
    const bearer = await fetch(`${base}/v1/sessions/current`, { headers: { authorization: `Bearer ${deployer.token}`, "x-forwarded-for": nextAddress() } });
    expect(bearer.status).toBe(401);
  });

  it("describes the session routes in the OpenAPI document", async () => {
    const document = (await (await fetch(`${base}/openapi.json`, { headers: { "x-forwarded-for": nextAddress() } })).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths["/v1/sessions"] ?? {})).toEqual(["post"]);
    expect(Object.keys(document.paths["/v1/sessions/current"] ?? {}).sort()).toEqual(["delete", "get"]);
  });
});
