import { createHmac, randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServiceConfig } from "../../src/service/config";
import { createToken } from "../../src/service/tokens";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");

/** Values of the service's own environment that no tenant may ever read. */
const SERVICE_SECRET_ENV = "TENANT_GRANTS_SERVICE_SECRET";
const SERVICE_SECRET = `service-only-${randomUUID()}`;
const HOOK_SECRET_ENV = "TENANT_GRANTS_HOOK_SECRET";
const HOOK_SECRET = `hook-${randomUUID()}`;
const GREETING = `granted greeting ${randomUUID().slice(0, 8)}`;

/**
 * Two projects on one service, each granted its own sources and secret references in the service configuration: a
 * token of one reaches neither the other's sources and secrets nor the service's own environment and files.
 */
describe("per-project grants of sources and secrets", () => {
  const shop = uniqueId("shop");
  const blog = uniqueId("blog");
  let root = "";
  let service: ServiceHarness;
  let base = "";
  let shopToken = "";
  const stacks: string[] = [];
  const answers: string[] = [];

  beforeAll(async () => {
    process.env[SERVICE_SECRET_ENV] = SERVICE_SECRET;
    process.env[HOOK_SECRET_ENV] = HOOK_SECRET;
    process.env.SHOP_GREETING = GREETING;
    root = await mkdtemp(path.join(os.tmpdir(), "dp-grants-"));
    const sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "node-server"), path.join(sourceRoot, "shop"), { recursive: true });
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "blog"), { recursive: true });
    await writeFile(path.join(sourceRoot, "blog", "prod-config.txt"), "blog's own configuration\n");
    // A link inside shop's directory that leads into blog's.
    await symlink(path.join(sourceRoot, "blog"), path.join(sourceRoot, "shop", "escape"));
    await writeFile(path.join(root, "owner-only.env"), `KEY=${SERVICE_SECRET}\n`, { mode: 0o600 });
    const configDir = path.join(root, "config");
    await mkdir(configDir);
    const shopRequest = { project_id: shop, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "../sources/shop" };
    await writeFile(path.join(configDir, "shop-leak.json"), JSON.stringify({ ...shopRequest, secrets: { GREETING: `env:${SERVICE_SECRET_ENV}` } }));
    await writeFile(path.join(configDir, "shop-blog-source.json"), JSON.stringify({ ...shopRequest, source: "../sources/blog" }));
    const configFile = path.join(configDir, "service.yaml");
    await writeFile(
      configFile,
      [
        "projects:",
        `  ${shop}: { sources: [../sources/shop], secrets: ["env:SHOP_*", "vault:shop-team/*"] }`,
        `  ${blog}: { sources: [../sources/blog], secrets: ["vault:blog-team/*"] }`,
        "hooks:",
        `  github: { secret: "env:${HOOK_SECRET_ENV}" }`,
        "  rules:",
        "    - { source: github, repository: acme/shop, branch: leak, request: shop-leak.json }",
        "    - { source: github, repository: acme/shop, branch: blog, request: shop-blog-source.json }",
      ].join("\n"),
    );
    const config = await loadServiceConfig(configFile);
    if ("status" in config) throw new Error(config.reason);
    service = await startServiceHarness(root, sourceRoot, { config });
    base = service.base;
    shopToken = (await createToken(service.database.pool, [shop], "deploy")).token;
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
    delete process.env[SERVICE_SECRET_ENV];
    delete process.env[HOOK_SECRET_ENV];
    delete process.env.SHOP_GREETING;
  }, 180_000);

  async function call(method: string, route: string, body?: unknown) {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${shopToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  const request = (extra: Record<string, unknown>) => ({ project_id: shop, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "shop", ...extra });

  it.each([
    ["the service's own environment", `env:${SERVICE_SECRET_ENV}`],
    ["the engine's passphrase", "env:PULUMI_CONFIG_PASSPHRASE"],
    ["the database's address", "env:DATABASE_URL"],
    ["another project's Vault path", `vault:${blog}/db#password`],
    ["another project's Vault path (short form of its own name)", `vault:${blog}#password`],
    ["another team's Vault path", "vault:blog-team/db#password"],
    ["a file of the service by its absolute path", "file:/etc/deployment-planner/service.env#KEY"],
    ["a relative file walking out", "file:../owner-only.env#KEY"],
  ])("refuses %s (%s) on plan and deploy, naming the reference and nothing else", async (_what, reference) => {
    for (const route of ["/v1/plan", "/v1/deployments"]) {
      const refused = await call("POST", route, request({ secrets: { GREETING: reference } }));
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ status: "error", stage: "validation" });
      expect(refused.body.reason).toBe(`secrets.GREETING: '${reference}' is not granted to project '${shop}' on this service`);
    }
    const queued = await service.database.pool.query("select count(*)::int as n from deployment_planner.deployments where project_id = $1", [shop]);
    expect(queued.rows[0]).toEqual({ n: 0 });
  });

  it.each([
    ["another project's source", "blog"],
    ["another project's source by its absolute path", "<root>/sources/blog"],
    ["a '..' walk out of its source", "shop/../blog"],
    ["a symlink out of its source", "shop/escape"],
    ["a system directory", "/etc"],
  ])("refuses %s on plan and deploy without telling where it resolved", async (_what, written) => {
    const source = written.replace("<root>", root);
    for (const route of ["/v1/plan", "/v1/deployments"]) {
      const refused = await call("POST", route, request({ source }));
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ status: "error", stage: "validation", reason: "source: outside the directories this project may deploy, or missing" });
    }
  });

  it("plans a granted source and answers it relative to the granted directory", async () => {
    const planned = await call("POST", "/v1/plan", request({ secrets: { GREETING: "env:SHOP_GREETING" } }));
    expect(planned.status).toBe(200);
    expect(planned.body).toMatchObject({ status: "planned", spec: { build: { source: "." } } });
  });

  it("refuses a hook rule's request that names a reference or a source its project is not granted", async () => {
    for (const branch of ["leak", "blog"]) {
      const body = JSON.stringify({ ref: `refs/heads/${branch}`, after: "a".repeat(40), repository: { full_name: "acme/shop" } });
      const response = await fetch(`${base}/v1/hooks/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`,
        },
        body,
      });
      const text = await response.text();
      answers.push(text);
      expect(response.status).toBe(422);
      expect(JSON.parse(text)).toMatchObject({ status: "error", stage: "plan", reason: expect.stringMatching(/its project is not granted|may read for its project/) });
    }
  });

  it("deploys a granted reference: the app serves the value of env:SHOP_GREETING", async () => {
    stacks.push(`${shop}.development`);
    const queued = await call("POST", "/v1/deployments", request({ secrets: { GREETING: "env:SHOP_GREETING" } }));
    expect(queued.status).toBe(202);
    const deadline = Date.now() + 150_000;
    let done: Record<string, unknown> = queued.body;
    while (done.status !== "succeeded" && done.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      done = (await call("GET", `/v1/deployments/${queued.body.id as string}`)).body;
    }
    expect(done).toMatchObject({ status: "succeeded", result: { status: "success", deployed_to: "local" } });
    const page = await (await fetch((done.result as { url: string }).url)).text();
    // The page is the app's, not a caller's answer: it is expected to hold the granted value.
    expect(page.split("\n")[0]).toBe(GREETING);
  }, 180_000);

  it("answered no caller with a secret value or a path of this machine", () => {
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) {
      expect(answer).not.toContain(SERVICE_SECRET);
      expect(answer).not.toContain(TEST_PASSPHRASE);
      expect(answer).not.toContain(root);
    }
  });
});
