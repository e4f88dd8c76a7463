import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/service/api";
import type { ServiceDatabase } from "../../src/service/database";
import { createToken } from "../../src/service/tokens";
import { openTestDatabase, removeTestDatabaseFiles } from "../support/database";

/**
 * The service's own log: a request whose database query fails after the database stopped is a 500 the operator finds
 * by its request id, with the error and its stack; the caller gets the id and nothing internal.
 */
describe("the service log of a failed request", () => {
  let root = "";
  let database: ServiceDatabase;
  let app: FastifyInstance;
  let base = "";
  let token = "";
  const lines: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-service-log-"));
    await mkdir(path.join(root, "sources"));
    database = await openTestDatabase(path.join(root, "workspace", ".deployment-planner"));
    token = (await createToken(database.pool, ["shop"], "read", "ci-shop")).token;
    app = await buildApi({ database, sourceRoots: [path.join(root, "sources")], version: "test", log: { level: "warn", destination: { write: (line: string) => lines.push(line) } } });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await removeTestDatabaseFiles(database);
    await rm(root, { recursive: true, force: true });
  });

  it("answers 503 and 500 with the request id only, and logs each with its id (the 500 with its error and stack)", async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // The database goes away under the running API.
    await database.close();

    const notReady = await fetch(`${base}/readyz`, { headers: { "x-request-id": "probe-1" } });
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get("x-request-id")).toBe("probe-1");

    const failed = await fetch(`${base}/v1/deployments/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}`, "x-request-id": "lost-db-1", cookie: "session=hunter2" },
    });
    expect(failed.status).toBe(500);
    expect(failed.headers.get("x-request-id")).toBe("lost-db-1");
    const body = (await failed.json()) as Record<string, unknown>;
    expect(body).toEqual({ status: "error", stage: "internal", reason: "internal error (request id lost-db-1)", fix_suggestion: expect.stringContaining("request id") });
    expect(JSON.stringify(body)).not.toMatch(/pool|postgres|ECONN|\/|\\n/i);

    // Each log line is JSON; the 500's has the request id, the error and its stack; the 503's its id and reason.
    const entries = lines.map((line) => JSON.parse(line) as { reqId?: string; level: number; err?: { message: string; stack: string }; failure?: { reason: string } });
    const error = entries.find((entry) => entry.reqId === "lost-db-1" && entry.level >= 50);
    expect(error?.err?.message).toBeTruthy();
    expect(error?.err?.stack).toMatch(/\n\s+at /);
    expect(entries.find((entry) => entry.reqId === "probe-1" && entry.level >= 50)?.failure?.reason).toMatch(/database/);
    // No token, authorization header or cookie in any line.
    const all = lines.join("");
    expect(all).not.toContain(token);
    // The secret is everything after `dp_<id>_`; being base64url, it may hold `_` itself.
    expect(all).not.toContain(token.slice("dp_".length + 16 + 1));
    expect(all).not.toContain("hunter2");
    expect(all).not.toMatch(/authorization/i);
  });
});
