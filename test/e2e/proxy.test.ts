import http from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAndDeploy, destroyStack } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

/**
 * An app that echoes the request headers it received (GET /headers), answers /slow after 3 s, and echoes the bytes
 * of an upgraded connection back (a WebSocket-style upgrade, handled by hand: no library in the app).
 */
const APP = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  if (req.url === "/slow") return void setTimeout(() => res.end("slow"), 3000);
  if (req.url === "/headers") {
    res.setHeader("content-type", "application/json");
    res.setHeader("x-app-hop", "from-app");
    res.setHeader("connection", "x-app-hop");
    return void res.end(JSON.stringify(req.headers));
  }
  res.end("fast");
});
server.on("upgrade", (req, socket) => {
  socket.write("HTTP/1.1 101 Switching Protocols\\r\\nupgrade: websocket\\r\\nconnection: Upgrade\\r\\nx-upgrade-path: " + req.url + "\\r\\n\\r\\n");
  socket.pipe(socket);
});
server.listen(Number(process.env.PORT), "127.0.0.1");
`;

describe("the local supervisor's proxy", () => {
  let t: TestWorkspace;
  let url = "";
  let stack = "";

  beforeAll(async () => {
    t = await createTestWorkspace("dp-proxy-");
    const source = path.join(t.root, "app");
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, "server.js"), APP);
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: "proxy-app", scripts: { start: "node server.js" } }));
    const projectId = uniqueId("proxy");
    const result = await planAndDeploy(
      { project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source },
      { workspace: t.workspace },
    );
    expect(result, JSON.stringify(result)).toMatchObject({ status: "success" });
    url = (result as { url: string }).url;
    stack = (result as { stack: string }).stack;
  });

  afterAll(async () => {
    if (stack) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** A GET through the proxy with raw headers (fetch forbids hop-by-hop ones). */
  function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get(`${url}${pathname}`, { headers, agent: false }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
    });
  }

  it("passes end-to-end headers, drops hop-by-hop ones both ways, and sets X-Forwarded-*", async () => {
    const answer = await get("/headers", {
      connection: "keep-alive, x-private-hop",
      "x-private-hop": "must not pass",
      "proxy-authorization": "Basic bm90OmZvcndhcmRlZA==",
      te: "trailers",
      "x-end-to-end": "passes",
      "x-forwarded-for": "203.0.113.7",
    });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as Record<string, string>;
    expect(seen["x-end-to-end"]).toBe("passes");
    for (const hop of ["x-private-hop", "proxy-authorization", "te"]) expect(seen[hop], hop).toBeUndefined();
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
    expect(seen["x-forwarded-host"]).toBe(new URL(url).host);
    expect(seen["x-forwarded-proto"]).toBe("http");
    // The app's own hop-by-hop header stays between the app and the proxy.
    expect(answer.headers["x-app-hop"]).toBeUndefined();
  });

  it("carries an upgraded connection (WebSocket) to the release, bytes both ways", async () => {
    const echoed = await new Promise<{ path: string; data: string }>((resolve, reject) => {
      const req = http.request(`${url}/socket?room=1`, {
        headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
        agent: false,
      });
      req.on("upgrade", (res, socket) => {
        let data = "";
        socket.on("data", (chunk: Buffer) => {
          data += chunk.toString();
          if (data.length >= 11) {
            socket.destroy();
            resolve({ path: String(res.headers["x-upgrade-path"]), data });
          }
        });
        socket.write("hello proxy");
      });
      req.on("response", (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
      req.on("error", reject);
      req.end();
    });
    expect(echoed).toEqual({ path: "/socket?room=1", data: "hello proxy" });
  });

  it("does not hold other requests behind a slow response", async () => {
    const finished: string[] = [];
    const slow = get("/slow").then((answer) => finished.push(answer.body));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(Array.from({ length: 20 }, () => get("/fast").then((answer) => finished.push(answer.body))));
    await slow;
    expect(finished).toEqual([...Array.from({ length: 20 }, () => "fast"), "slow"]);
  });
});
