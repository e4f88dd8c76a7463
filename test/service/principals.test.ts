import { randomBytes, randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/service/api";
import { credentialRedactor, type ServiceDatabase } from "../../src/service/database";
import { createToken, revokeToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");

/** A token value with `id` and a secret nobody issued: what an attacker who knows a token's public id can send. */
const forged = (id: string) => `dp_${id}_${randomBytes(32).toString("base64url")}`;

/** Who calls the API, as the service verifies it: rate limits, streams and request time are bounded per verified caller. */
describe("the service's principals and bounds", () => {
  let root = "";
  let database: ServiceDatabase;
  let app: FastifyInstance;
  let base = "";

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-principals-"));
    const sourceRoot = path.join(root, "sources");
    await mkdir(path.join(sourceRoot, "site"), { recursive: true });
    await writeFile(path.join(sourceRoot, "site", "index.html"), "<h1>site</h1>");
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    app = await buildApi({
      database,
      sourceRoots: [sourceRoot],
      version: "test",
      rateLimit: { max: 20, windowMs: 60_000 },
      // Each test speaks from its own address, so the address limits of one do not reach another.
      trustProxy: true,
      requestTimeoutMs: 2_000,
      maxStreamsPerToken: 2,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  const get = (route: string, token: string | null, address: string, signal?: AbortSignal) =>
    fetch(`${base}${route}`, { headers: { "x-forwarded-for": address, ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal });

  /** A deployment that stays queued (no worker here), so its event stream stays open. */
  async function queuedDeployment(projectId: string): Promise<string> {
    const id = randomUUID();
    await database.pool.query(
      "insert into deployment_planner.deployments (id, token_id, project_id, stack, request, status) values ($1, 'operator', $2, $3, '{}', 'queued')",
      [id, projectId, `${projectId}.development`],
    );
    return id;
  }

  it("does not let forged token ids spend the allowance of the token they name", async () => {
    const victim = await createToken(database.pool, ["shop"], "read");
    const attacker = "10.0.0.1";
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await get("/v1/deployments/00000000-0000-4000-8000-000000000000", forged(victim.id), attacker)).status);
    // Refused as unauthenticated, then limited by the attacker's own address.
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20).every((status) => status === 429)).toBe(true);
    // The victim, from its own address as from the attacker's, still has its whole allowance.
    const own = await get("/v1/stacks", victim.token, "10.0.0.2");
    expect(own.status).not.toBe(429);
    expect((await get("/v1/stacks", victim.token, attacker)).status).not.toBe(429);
  });

  it("limits unauthenticated requests by the client's address, whatever token ids they rotate through", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const response = await fetch(`${base}/v1/hooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "10.0.1.1", authorization: `Bearer ${forged(randomBytes(8).toString("hex"))}` },
        body: "{}",
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    const limited = (await (await fetch(`${base}/v1/hooks/github`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": "10.0.1.1" }, body: "{}" })).json()) as Record<string, unknown>;
    expect(limited).toMatchObject({ status: "error", reason: expect.stringContaining("rate limit") });
    // Another address is not limited by it.
    expect((await fetch(`${base}/v1/hooks/github`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": "10.0.1.2" }, body: "{}" })).status).not.toBe(429);
  });

  it("ends a revoked token's open event stream within a few seconds", async () => {
    const reader = await createToken(database.pool, ["shop"], "read");
    const id = await queuedDeployment("shop");
    const response = await get(`/v1/deployments/${id}/events`, reader.token, "10.0.2.1");
    expect(response.status).toBe(200);
    const body = response.body!.getReader();
    let text = "";
    const drained = (async () => {
      for (;;) {
        const { done, value } = await body.read();
        if (done) return Date.now();
        text += Buffer.from(value).toString("utf8");
      }
    })();
    // Still open a while later: a queued deployment's stream waits for its events.
    const early = await Promise.race([drained, new Promise<null>((resolve) => setTimeout(() => resolve(null), 1_000))]);
    expect(early).toBeNull();
    const revokedAt = Date.now();
    expect(await revokeToken(database.pool, reader.id)).toBe(true);
    const ended = await Promise.race([drained, new Promise<null>((resolve) => setTimeout(() => resolve(null), 8_000))]);
    expect(ended, "the stream is still open 8 s after its token was revoked").not.toBeNull();
    expect(ended! - revokedAt).toBeLessThan(5_000);
    expect(text).toContain("revoked");
  }, 20_000);

  it("caps the event streams one token holds open, and frees a place when one closes", async () => {
    const reader = await createToken(database.pool, ["shop"], "read");
    const id = await queuedDeployment("shop");
    const first = new AbortController();
    const second = new AbortController();
    expect((await get(`/v1/deployments/${id}/events`, reader.token, "10.0.3.1", first.signal)).status).toBe(200);
    expect((await get(`/v1/deployments/${id}/events`, reader.token, "10.0.3.1", second.signal)).status).toBe(200);
    const third = await get(`/v1/deployments/${id}/events`, reader.token, "10.0.3.1");
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("event streams"), fix_suggestion: expect.any(String) });
    // Another token has places of its own.
    const other = await createToken(database.pool, ["shop"], "read");
    const otherStream = new AbortController();
    expect((await get(`/v1/deployments/${id}/events`, other.token, "10.0.3.1", otherStream.signal)).status).toBe(200);
    otherStream.abort();
    first.abort();
    const deadline = Date.now() + 5_000;
    let again = 429;
    const fourth = new AbortController();
    while (again === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      again = (await get(`/v1/deployments/${id}/events`, reader.token, "10.0.3.1", fourth.signal)).status;
    }
    expect(again).toBe(200);
    second.abort();
    fourth.abort();
  }, 20_000);

  it("cuts off a request whose body trickles in, within the request timeout", async () => {
    const socket = net.connect(Number(new URL(base).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now())));
    socket.on("error", () => undefined);
    const started = Date.now();
    socket.write("POST /v1/plan HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Forwarded-For: 10.0.4.1\r\n\r\n{");
    // One byte a second: never idle long, never done.
    const trickle = setInterval(() => socket.writable && socket.write(" "), 1_000);
    const ended = await Promise.race([closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
    clearInterval(trickle);
    socket.destroy();
    expect(ended, "the trickled request was still open after 10 s").not.toBeNull();
    expect(ended! - started).toBeLessThan(6_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  }, 20_000);

  it("masks the database password in every form it can appear, as written in the URL too", () => {
    const database = { connection: { connectionString: "postgres://planner:pa$s%40word@db.internal:5432/planner" } };
    const mask = credentialRedactor(database);
    for (const form of ["pa$s%40word", "pa$s@word", encodeURIComponent("pa$s@word")]) {
      const masked = mask(`backend postgres://planner:${form}@db.internal:5432/planner refused`);
      expect(masked).not.toContain(form);
      expect(masked).toContain("[secret]");
    }
  });
});

/** Who a deployment is recorded under: the verified token, with the request's deployer only as a label beside it. */
describe("the principal a deployment is recorded under", () => {
  let service: ServiceHarness;
  const stacks: string[] = [];

  beforeAll(async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "dp-principal-records-"));
    const sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "site"), { recursive: true });
    service = await startServiceHarness(root, sourceRoot);
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
  }, 180_000);

  it("names the token that queued a deployment in its record and its audit entry, whatever deployer_id the body claims", async () => {
    const projectId = uniqueId("principal");
    const stack = `${projectId}.development`;
    stacks.push(stack);
    const deployer = await createToken(service.database.pool, [projectId], "deploy");
    const admin = await createToken(service.database.pool, [projectId], "admin");
    const call = async (method: string, route: string, token: string, body?: unknown) =>
      (await fetch(`${service.base}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((response) => response.json())) as Record<string, unknown>;
    const request = { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", deployer_id: "ceo-of-blog" };
    const queued = await call("POST", "/v1/deployments", deployer.token, request);
    expect(queued).toMatchObject({ status: "queued", requested_by: `token:${deployer.id}`, deployer: "ceo-of-blog" });
    const deadline = Date.now() + 150_000;
    let record = queued;
    while (record.status !== "succeeded" && record.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      record = await call("GET", `/v1/deployments/${queued.id as string}`, deployer.token);
    }
    expect(record).toMatchObject({ status: "succeeded", requested_by: `token:${deployer.id}`, deployer: "ceo-of-blog" });
    // The workspace's audit records reach the service's trail in the background.
    let entries: { action: string; actor: string | null; deployer?: string | null }[] = [];
    const audited = Date.now() + 30_000;
    while (!entries.some((entry) => entry.action === "deploy") && Date.now() < audited) {
      entries = ((await call("GET", `/v1/audit?stack=${stack}`, admin.token)) as { entries: typeof entries }).entries ?? [];
      if (!entries.some((entry) => entry.action === "deploy")) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const deploy = entries.find((entry) => entry.action === "deploy");
    expect(deploy).toMatchObject({ actor: `token:${deployer.id}`, deployer: "ceo-of-blog" });
    // The claimed deployer is never taken for who acted.
    expect(entries.some((entry) => entry.actor === "ceo-of-blog")).toBe(false);
  }, 240_000);
});
