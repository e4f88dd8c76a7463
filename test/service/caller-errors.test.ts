import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServiceConfig, type ServiceConfig } from "../../src/service/config";
import { createToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");

/** Every byte a caller received: no absolute path of this machine, no file mode, no stack frame. */
function expectNoMachineDetail(text: string, root: string): void {
  expect(text).not.toContain(root);
  expect(text).not.toContain(os.homedir());
  expect(text).not.toContain(os.tmpdir());
  expect(text).not.toContain(REPO);
  expect(text).not.toMatch(/mode 0?[0-7]{3}/);
  expect(text).not.toMatch(/(?<![\w.:/#-])\/(?!v1\/)[\w.-]+\/[\w.-]+/);
  expect(text).not.toMatch(/\n\s+at /);
}

/**
 * A remote caller's error names what it sent and what to change; where things live on the service's machine goes to
 * the operator's log only. Failures that quote a secrets file (its path, its mode) are provoked through the API on a
 * real service (embedded PostgreSQL, worker, engine).
 */
describe("errors a remote caller receives", () => {
  const projectId = uniqueId("callerr");
  let root = "";
  let service: ServiceHarness;
  let base = "";
  let deployToken = "";
  let adminToken = "";
  let insecureFile = "";
  let missingFile = "";
  const logLines: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-caller-errors-"));
    const sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "node-server"), path.join(sourceRoot, "shop"), { recursive: true });
    insecureFile = path.join(root, "secrets", "shop.env");
    missingFile = path.join(root, "secrets", "absent.env");
    await mkdir(path.join(root, "secrets"));
    await writeFile(insecureFile, "GREETING=hello\n");
    await chmod(insecureFile, 0o640);
    const configFile = path.join(root, "service.yaml");
    await writeFile(configFile, ["projects:", `  ${projectId}: { sources: [sources], secrets: ["file:*"] }`, ""].join("\n"));
    const config = (await loadServiceConfig(configFile)) as ServiceConfig;
    expect(config).toHaveProperty("projects");
    service = await startServiceHarness(root, sourceRoot, { config, log: { level: "info", destination: { write: (line: string) => logLines.push(line) } } });
    base = service.base;
    deployToken = (await createToken(service.database.pool, [projectId], "deploy", "ci-shop")).token;
    adminToken = (await createToken(service.database.pool, [projectId], "admin", "shop-admin")).token;
  }, 240_000);

  afterAll(async () => {
    await service?.stop([`${projectId}.development`]);
    await rm(root, { recursive: true, force: true });
  }, 240_000);

  const call = async (method: string, route: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text(), requestId: response.headers.get("x-request-id") };
  };
  const request = (secret: string) => ({
    project_id: projectId,
    deployment_type: "api",
    tech_stack: ["Node.js"],
    target: "local",
    environment: { ENV: "development" },
    source: path.join(root, "sources", "shop"),
    secrets: { GREETING: secret },
  });

  async function finished(id: string): Promise<string> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const got = await call("GET", `/v1/deployments/${id}`, deployToken);
      if (/"status":"(succeeded|failed)"/.test(got.text)) return got.text;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`deployment ${id} did not finish`);
  }

  it.each([
    ["a secrets file others may read", () => `file:${insecureFile}#GREETING`, /Refusing to read GREETING/],
    ["a secrets file that does not exist", () => `file:${missingFile}#GREETING`, /GREETING/],
  ])("%s: the stored result, the event stream and the engine log name no path or mode; the service log does", async (_what, secret, reason) => {
    const planned = await call("POST", "/v1/plan", deployToken, request(secret()));
    expect(planned.status).toBe(200);
    expectNoMachineDetail(planned.text, root);
    expect(JSON.parse(planned.text)).toMatchObject({ status: "planned", spec: { build: { source: "shop" } } });

    const queued = await call("POST", "/v1/deployments", deployToken, request(secret()));
    expect(queued.status).toBe(202);
    expectNoMachineDetail(queued.text, root);
    const id = (JSON.parse(queued.text) as { id: string }).id;
    const record = await finished(id);
    expectNoMachineDetail(record, root);
    const result = (JSON.parse(record) as { status: string; result: { status: string; reason: string } });
    // Who queued it: the token's id and, beside it, its name.
    expect(result).toMatchObject({ status: "failed", result: { status: "error" }, requested_by: `token:${deployToken.split("_")[1]}`, requested_by_name: "ci-shop" });
    expect(result.result.reason).toMatch(reason);

    // The event stream replays every progress line and ends with the result.
    const events = await call("GET", `/v1/deployments/${id}/events`, deployToken);
    expect(events.text).toContain("event: result");
    expectNoMachineDetail(events.text, root);

    // The engine log, when the run left one: scrubbed for a deploy token, as recorded for the project's admin.
    const log = await call("GET", `/v1/deployments/${id}/log`, deployToken);
    expectNoMachineDetail(log.text, root);
    if (log.status === 200) expect((await call("GET", `/v1/deployments/${id}/log`, adminToken)).status).toBe(200);

    // The audit trail names the token that queued it, and beside the entries, its name.
    const tokenId = deployToken.split("_")[1]!;
    let audit: { entries: { actor: string | null }[]; principals: Record<string, string> } = { entries: [], principals: {} };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !audit.entries.some((entry) => entry.actor === `token:${tokenId}`); ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      audit = JSON.parse((await call("GET", `/v1/audit?stack=${projectId}.development`, adminToken)).text) as typeof audit;
    }
    expect(audit.entries.some((entry) => entry.actor === `token:${tokenId}`)).toBe(true);
    expect(audit.principals).toMatchObject({ [`token:${tokenId}`]: "ci-shop" });

    // The operator's log has the full text the caller did not get.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logLines.join("")).toContain(`"reqId":"${queued.requestId}"`);
  }, 240_000);

  it("answers a source outside the granted directories by the source sent, and a path nowhere", async () => {
    const refused = await call("POST", "/v1/plan", deployToken, { ...request(`file:${insecureFile}#GREETING`), source: path.join(root, "secrets") });
    expect(refused.status).toBe(400);
    expectNoMachineDetail(refused.text, root);
    const missing = await call("POST", "/v1/plan", deployToken, { ...request(`file:${insecureFile}#GREETING`), source: "/etc/../nowhere/at/all" });
    expect(missing.status).toBe(400);
    expectNoMachineDetail(missing.text, root);
  });

  it("carries the caller's own request id when it is a safe one, and a new one otherwise", async () => {
    const own = await fetch(`${base}/v1/stacks`, { headers: { authorization: `Bearer ${deployToken}`, "x-request-id": "ci-run-42.step_1" } });
    expect(own.headers.get("x-request-id")).toBe("ci-run-42.step_1");
    for (const hostile of ["x".repeat(65), "a b", "id\u0000", "<script>", "../../etc"]) {
      const answered = await fetch(`${base}/v1/stacks`, { headers: { authorization: `Bearer ${deployToken}`, "x-request-id": encodeURIComponent(hostile) === hostile ? hostile : "bad id?" } });
      expect(answered.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("logs requests with their id and never a token, an authorization header or a cookie", async () => {
    await fetch(`${base}/v1/stacks`, { headers: { authorization: `Bearer ${deployToken}`, cookie: "session=letmein", "x-request-id": "logged-request-1" } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const all = logLines.join("");
    expect(all).toContain('"reqId":"logged-request-1"');
    expect(all).not.toContain(deployToken);
    expect(all).not.toContain(adminToken.slice(20));
    expect(all).not.toContain("letmein");
  });
});
