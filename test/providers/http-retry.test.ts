import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpApiError } from "../../src/components/http-api-error";
import { callHttpApi, createOnce, parseRetryAfter, type HttpApiTarget } from "../../src/components/http-retry";

// The retry policy on its own, against a loopback server that answers from a script.

describe("retry policy of provider API calls", () => {
  let server: http.Server;
  let url: string;
  let script: { status: number; headers?: Record<string, string>; body?: unknown }[] = [];
  let hits = 0;
  const target: HttpApiTarget = { api: "Example", token: "tok-secret-0001", tokenVariable: "EXAMPLE_TOKEN", maxDelayMs: 10 };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      hits += 1;
      const step = script.shift() ?? { status: 200, body: { ok: true } };
      res.writeHead(step.status, { "content-type": "application/json", ...step.headers });
      res.end(JSON.stringify(step.body ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (kind: "read" | "create" | "append", steps: typeof script) => {
    script = [...steps];
    hits = 0;
    return callHttpApi(target, { operation: "do thing", kind, url, method: "POST", body: "{}", secrets: ["value-of-secret"] });
  };

  it("waits the Retry-After of a 429 before trying again", async () => {
    const started = Date.now();
    const response = await run("create", [{ status: 429, headers: { "retry-after": "1" } }]);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(hits).toBe(2);
  });

  it("fails at once when Retry-After asks for longer than the bound", async () => {
    const error = await run("read", [{ status: 429, headers: { "retry-after": "3600" } }]).catch((e: unknown) => e);
    expect((error as HttpApiError).status).toBe(429);
    expect(hits).toBe(1);
  });

  it("does not repeat an append after a 5xx, and says its outcome is unknown", async () => {
    const error = await run("append", [{ status: 500 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpApiError);
    expect((error as HttpApiError).outcomeUnknown).toBe(true);
    expect(hits).toBe(1);
  });

  it("gives up on a read after the last attempt", async () => {
    const error = await run("read", [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]).catch((e: unknown) => e);
    expect((error as HttpApiError).status).toBe(503);
    expect(hits).toBe(4);
  });

  it("keeps the token and sent secret values out of a message that echoes them", async () => {
    const error = await run("read", [{ status: 400, body: { message: "bad value value-of-secret for tok-secret-0001" } }]).catch((e: unknown) => e);
    expect((error as Error).message).toBe("Example do thing failed (HTTP 400): bad value [redacted] for [redacted]");
  });

  it("reads Retry-After in seconds and as an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it("adopts what a create with an unknown outcome made instead of creating again", async () => {
    let creates = 0;
    const unknown = new HttpApiError({ api: "Example", operation: "create", status: 502, outcomeUnknown: true });
    const made = await createOnce({
      create: async () => {
        creates += 1;
        throw unknown;
      },
      find: async () => ({ id: "made-unseen" }),
    });
    expect(made).toEqual({ id: "made-unseen" });
    expect(creates).toBe(1);
  });
});
