import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { runCliProcess as cli, startServeProcess, type ServeProcess } from "../support/serve-process";
import { serveDatabaseLeftovers } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");

/** Decoys in the service's (and its worker's) environment: no tenant may ever see one of these values. */
const DECOYS = {
  GITHUB_WEBHOOK_SECRET: `ghs-decoy-${randomUUID()}`,
  VAULT_TOKEN: `hvs.decoy-${randomUUID()}`,
  SERVICE_DATABASE_URL: `postgres://planner:db-decoy-${randomUUID().slice(0, 8)}@db.internal:5432/planner`,
  BLOG_API_KEY: `blog-decoy-${randomUUID()}`,
  BLOG_DB_PASSWORD: `blog-db-decoy-${randomUUID()}`,
};
const OWNER_ONLY_VALUE = `owner-only-decoy-${randomUUID()}`;
const BLOG_CONFIG = `blog's production configuration ${randomUUID()}`;
const ACCEPTED = `accepted content ${randomUUID().slice(0, 8)}`;
const GREETING = `shop greeting ${randomUUID().slice(0, 8)}`;
/** Every value an attacker must never read. */
const SECRET_VALUES = [...Object.values(DECOYS), DECOYS.SERVICE_DATABASE_URL.split(":")[2]!.split("@")[0]!, OWNER_ONLY_VALUE, TEST_PASSPHRASE, BLOG_CONFIG];

/** A token as `tokens create --json` prints it, with its public id (the `<id>` of `dp_<id>_<secret>`). */
function issued(stdout: string): { token: string; id: string } {
  const token = (JSON.parse(stdout) as { token: string }).token;
  const id = /^dp_([0-9a-f]{16})_/.exec(token)?.[1];
  if (!id) throw new Error("tokens create printed no token of the form dp_<id>_<secret>");
  return { token, id };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Answer = { status: number; text: string; json: Record<string, unknown> };

/**
 * Two tenants on one real `serve --with-worker` process (embedded PostgreSQL, real engine, local target): with shop's
 * read, deploy and admin tokens, every route of the OpenAPI document and every body-level crossing is tried against
 * blog's records, sources and secrets and against the service's own environment and files. Each is refused as
 * docs/service.md says, and no byte the attacker received holds a path of this machine or a value it was not granted.
 */
describe("tenant isolation on a real service", () => {
  const shop = uniqueId("shop");
  const blog = uniqueId("blog");
  let root = "";
  let workspace = "";
  let env: NodeJS.ProcessEnv = {};
  let serve: ServeProcess | undefined;
  let base = "";
  const tokens: Record<string, { token: string; id: string }> = {};
  const stacks = [`${blog}.development`, `${shop}.development`, `${shop}.preview`];
  /** Every response body and stream byte the attacker (shop's tokens, anyone unauthenticated) received. */
  const received: string[] = [];
  let blogDeployment: Record<string, unknown> = {};
  let shopDeployment: Record<string, unknown> = {};
  let swapDeployment: Record<string, unknown> = {};

  const shopRequest = (extra: Record<string, unknown> = {}) => ({
    project_id: shop,
    deployment_type: "api",
    tech_stack: ["Node.js"],
    target: "local",
    environment: { ENV: "development" },
    source: "shop",
    ...extra,
  });
  const staticRequest = (project: string, source: string, environment: string) => ({
    project_id: project,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: environment },
    source,
  });

  async function call(token: string | null, method: string, route: string, body?: unknown, headers: Record<string, string> = {}, attacker = true): Promise<Answer> {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (attacker) received.push(text);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Text answers (logs, metrics) are kept as text.
    }
    return { status: response.status, text, json };
  }

  /** A deployment followed until it finishes (bounded), as `token` reads it. */
  async function finished(token: string, id: string, attacker: boolean, timeoutMs = 150_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let record: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      record = (await call(token, "GET", `/v1/deployments/${id}`, undefined, {}, attacker)).json;
      if (record.status === "succeeded" || record.status === "failed") return record;
      await sleep(1_000);
    }
    throw new Error(`deployment ${id} did not finish within ${timeoutMs / 1000} s: ${JSON.stringify(record)}`);
  }

  /** Reads an event stream for at most `ms`, keeping every byte as received by the attacker. */
  async function readStream(token: string, route: string, ms: number, onOpen?: () => Promise<void>): Promise<{ status: number; text: string; endedAt: number | null }> {
    const abort = new AbortController();
    const response = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    let text = "";
    let endedAt: number | null = null;
    if (response.status !== 200) {
      text = await response.text();
    } else {
      const reader = response.body!.getReader();
      const drained = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return (endedAt = Date.now());
          text += Buffer.from(value).toString("utf8");
        }
      })().catch(() => null);
      await onOpen?.();
      await Promise.race([drained, sleep(ms)]);
      abort.abort();
    }
    received.push(text);
    return { status: response.status, text, endedAt };
  }

  function githubPush(branch: string, commit: string, delivery = randomUUID(), secret = DECOYS.GITHUB_WEBHOOK_SECRET) {
    const body = JSON.stringify({ ref: `refs/heads/${branch}`, after: commit, repository: { full_name: "acme/shop" } });
    return fetch(`${base}/v1/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": delivery,
        "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      },
      body,
    }).then(async (response) => {
      const text = await response.text();
      received.push(text);
      return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
    });
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-isolation-"));
    workspace = path.join(root, "workspace");
    const apps = path.join(root, "apps");
    // shop: the example node server, also answering /env with its whole environment, so the test sees every value
    // the deployed app was given.
    await cp(path.join(REPO, "examples", "apps", "node-server"), path.join(apps, "shop"), { recursive: true });
    const server = await readFile(path.join(apps, "shop", "server.js"), "utf8");
    await writeFile(
      path.join(apps, "shop", "server.js"),
      server.replace('if (req.url === "/healthz") {', 'if (req.url === "/env") {\n    res.writeHead(200, { "content-type": "application/json" });\n    res.end(JSON.stringify(process.env));\n    return;\n  }\n  if (req.url === "/healthz") {'),
    );
    await mkdir(path.join(apps, "shop", "swap"));
    await writeFile(path.join(apps, "shop", "swap", "index.html"), `<h1>${ACCEPTED}</h1>\n`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(apps, "blog"), { recursive: true });
    await writeFile(path.join(apps, "blog", "prod-config.txt"), `${BLOG_CONFIG}\n`);
    await writeFile(path.join(root, "owner-only.env"), `KEY=${OWNER_ONLY_VALUE}\n`, { mode: 0o600 });
    await mkdir(path.join(root, "requests"));
    await writeFile(path.join(root, "requests", "shop.json"), JSON.stringify({ ...shopRequest({ source: "../apps/shop" }), secrets: { GREETING: "env:SHOP_GREETING" } }));
    const config = path.join(root, "service.yaml");
    await writeFile(
      config,
      [
        "projects:",
        `  ${shop}: { sources: [apps/shop], secrets: ["env:SHOP_*"] }`,
        `  ${blog}: { sources: [apps/blog], secrets: ["env:BLOG_*", "vault:blog-team/*"] }`,
        "hooks:",
        "  github: { secret: env:GITHUB_WEBHOOK_SECRET }",
        "  rules:",
        "    - { source: github, repository: acme/shop, branch: main, request: requests/shop.json }",
      ].join("\n"),
    );
    env = {
      ...process.env,
      ...DECOYS,
      DATABASE_URL: "",
      SHOP_GREETING: GREETING,
      VAULT_ADDR: "http://127.0.0.1:9",
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
    };
    delete env.PULUMI_BACKEND_URL;
    // One job at a time, so a deployment accepted while another runs waits in the queue.
    serve = await startServeProcess(
      ["--with-worker", "--concurrency", "1", "--trust-proxy", "true", "--source-root", apps, "--config", config, "--workspace", workspace],
      env,
    );
    base = serve.address;
    const created = await Promise.all(
      [shop, blog].flatMap((project) =>
        ["read", "deploy", "admin"].map(async (scope) => {
          const run = await cli(["tokens", "create", "--name", `${project === shop ? "shop" : "blog"}-${scope}`, "--project", project, "--scope", scope, "--json", "--workspace", workspace], env, 60_000);
          if (run.code !== 0) throw new Error(`tokens create: ${run.stdout}${run.stderr}`);
          return [`${project === shop ? "shop" : "blog"}-${scope}`, issued(run.stdout)] as const;
        }),
      ),
    );
    for (const [name, token] of created) tokens[name] = token;
  }, 200_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) {
      await Promise.all(
        stacks.map((stack) => {
          const [project, environment] = stack.split(".");
          return cli(["destroy", project!, environment!, "--remove", "--workspace", workspace], env, 120_000).catch(() => undefined);
        }),
      );
      await serve.stop();
    }
    if (!root) return;
    // A root-run embedded server keeps its data outside the workspace, named by it.
    const dataDir = path.resolve(workspace, ".deployment-planner");
    for (const leftover of [root, ...serveDatabaseLeftovers(dataDir)]) await rm(leftover, { recursive: true, force: true });
  }, 240_000);

  it("deploys each tenant's own work: blog's site, a shop source swapped for a link after acceptance, shop's push (once)", async () => {
    const blogQueued = await call(tokens["blog-deploy"]!.token, "POST", "/v1/deployments", staticRequest(blog, "blog", "development"), {}, false);
    expect(blogQueued.status, blogQueued.text).toBe(202);
    // Accepted while the only worker runs blog's deployment; then the accepted directory becomes a link to blog's.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(200)) {
      if ((await call(tokens["blog-read"]!.token, "GET", `/v1/deployments/${blogQueued.json.id as string}`, undefined, {}, false)).json.status !== "queued") break;
    }
    const swapQueued = await call(tokens["shop-deploy"]!.token, "POST", "/v1/deployments", staticRequest(shop, "shop/swap", "preview"));
    expect(swapQueued.status, swapQueued.text).toBe(202);
    expect(swapQueued.json.status).toBe("queued");
    await rename(path.join(root, "apps", "shop", "swap"), path.join(root, "apps", "shop", "swap-accepted"));
    await symlink(path.join(root, "apps", "blog"), path.join(root, "apps", "shop", "swap"));

    // A push deploys shop's rule once; the same push under a new delivery id is a replay.
    const commit = randomBytes(20).toString("hex");
    const pushed = await githubPush("main", commit);
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(202);
    expect(pushed.json.deployments).toHaveLength(1);
    const replayed = await githubPush("main", commit);
    expect(replayed.status).toBe(409);
    expect(replayed.json).toMatchObject({ status: "error", stage: "validation", reason: expect.stringContaining("replay") });
    // A forged signature is refused before anything else.
    expect((await githubPush("main", randomBytes(20).toString("hex"), randomUUID(), "not-the-secret")).status).toBe(401);

    blogDeployment = await finished(tokens["blog-read"]!.token, blogQueued.json.id as string, false);
    expect(blogDeployment, JSON.stringify(blogDeployment)).toMatchObject({ status: "succeeded" });
    swapDeployment = await finished(tokens["shop-read"]!.token, swapQueued.json.id as string, true);
    shopDeployment = await finished(tokens["shop-read"]!.token, (pushed.json.deployments as string[])[0]!, true);
    expect(shopDeployment, JSON.stringify(shopDeployment)).toMatchObject({ status: "succeeded", requested_by: "hook:github", result: { status: "success", deployed_to: "local" } });
  }, 420_000);

  it("refuses shop's tokens every route of the OpenAPI document on blog's records", async () => {
    const document = (await call(null, "GET", "/openapi.json")).json as { paths: Record<string, Record<string, { security?: unknown }>> };
    const routes = Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), route })));
    expect(routes.length).toBeGreaterThan(15);
    const blogStack = `${blog}.development`;
    const fill = (route: string) =>
      route
        .replace("{id}", blogDeployment.id as string)
        .replace("{project_id}", blog)
        .replace(/\{(env|environment)\}/, "development")
        .replace("{name}", "ci");
    const bodies: Record<string, unknown> = {
      "/v1/plan": staticRequest(blog, "blog", "development"),
      "/v1/deployments": staticRequest(blog, "blog", "development"),
      "/v1/preview": staticRequest(blog, "blog", "development"),
      "/v1/stacks/{project_id}/{environment}/rollback": {},
      "/v1/stacks/{project_id}/{env}/rollback": {},
      "/v1/stacks/{project_id}/promote": { from: "development", to: "preview" },
    };
    // Query strings that name blog's records where a route takes them in the query.
    const queries: Record<string, string[]> = {
      "/v1/stacks": [`?project_id=${blog}`, ""],
      "/v1/deployments": [`?project_id=${blog}`, `?project_id=${blog}&environment=development`, ""],
      "/v1/audit": [`?stack=${blogStack}`, `?stack=${blogStack}&verify=true`, "?verify=true", ""],
      "/v1/stacks/{project_id}/{environment}/logs": ["", "?follow=true"],
      "/v1/stacks/{project_id}/{env}/logs": ["", "?follow=true"],
      "/v1/stacks/{project_id}/{environment}": ["", "?force=true&remove=true"],
      "/v1/stacks/{project_id}/{env}": ["", "?force=true&remove=true"],
    };
    const blogMarkers = [blogDeployment.id as string, blogStack, (blogDeployment.result as { url: string }).url, BLOG_CONFIG];
    const tried: string[] = [];
    for (const scope of ["read", "deploy", "admin"]) {
      const token = tokens[`shop-${scope}`]!.token;
      for (const { method, route } of routes) {
        for (const query of queries[route] ?? [""]) {
          const url = `${fill(route)}${query}`;
          const body = method === "GET" || method === "DELETE" ? undefined : (bodies[route] ?? {});
          const answer = await call(token, method, url, body, {}, true);
          tried.push(`${scope} ${method} ${url} -> ${answer.status}`);
          for (const marker of blogMarkers) expect(answer.text, `${scope} ${method} ${url}`).not.toContain(marker);
          if (!route.startsWith("/v1/")) continue;
          if (route.startsWith("/v1/hooks/")) {
            // A bearer token is no signature: an unsigned delivery is refused (or the hook does not exist).
            expect([401, 404], `${method} ${url}`).toContain(answer.status);
            continue;
          }
          if (route.startsWith("/v1/sessions")) {
            // Sessions belong to no project: a bearer token is no session cookie, and signing in needs a token in the body.
            expect([400, 401], `${scope} ${method} ${url}: ${answer.text}`).toContain(answer.status);
            continue;
          }
          if (method === "GET" && route === "/v1/stacks") {
            // The list holds only shop's stacks.
            expect(answer.status).toBe(200);
            expect((answer.json.stacks as { project_id: string }[]).every((stack) => stack.project_id === shop)).toBe(true);
            continue;
          }
          // Another project's deployment or stack is as unknown as a missing one (404); a project named in a body
          // or the audit trail of a project (or of every project) the token is not scoped to is forbidden (403).
          // Listing deployments without naming a project holds only shop's (checked above).
          const forbidden = route === "/v1/plan" || route === "/v1/preview" || (route === "/v1/deployments" && (method === "POST" || query !== "")) || route === "/v1/audit";
          // A listing route named nowhere above may answer, holding none of blog's records (checked above).
          if (!forbidden && !route.includes("{") && method === "GET" && answer.status === 200) continue;
          const expected = forbidden ? 403 : 404;
          expect(answer.status, `${scope} ${method} ${url}: ${answer.text}`).toBe(expected);
          expect(answer.json, `${scope} ${method} ${url}`).toMatchObject({ status: "error", reason: expect.any(String), fix_suggestion: expect.any(String) });
        }
      }
    }
    // Nothing was queued on blog's stacks by any of it.
    const blogHistory = await call(tokens["blog-read"]!.token, "GET", `/v1/stacks/${blog}/development/history`, undefined, {}, false);
    expect(blogHistory.status).toBe(200);
    expect((blogHistory.json.history as unknown[]).length).toBe(1);
    expect(tried.length).toBeGreaterThan(50);
  }, 120_000);

  it.each([
    ["blog's secret through env:", `env:BLOG_API_KEY`],
    ["blog's secret through vault:", "vault:blog-team/db#password"],
    ["blog's own Vault path", () => `vault:${blog}/db#password`],
    ["blog's Vault path in short form", () => `vault:${blog}#password`],
    ["the webhook secret of the service", "env:GITHUB_WEBHOOK_SECRET"],
    ["the engine's passphrase", "env:PULUMI_CONFIG_PASSPHRASE"],
    ["the Vault token of the service", "env:VAULT_TOKEN"],
    ["a database address of the service", "env:SERVICE_DATABASE_URL"],
    ["an owner-only file by its absolute path", () => `file:${root}/owner-only.env#KEY`],
    ["an owner-only file by a relative walk", "file:../owner-only.env#KEY"],
    ["blog's source file through file:", "file:blog/prod-config.txt#KEY"],
  ])("refuses %s on plan and deploy, naming the reference only", async (_what, written) => {
    const reference = typeof written === "function" ? written() : written;
    for (const route of ["/v1/plan", "/v1/deployments"]) {
      const refused = await call(tokens["shop-deploy"]!.token, "POST", route, shopRequest({ secrets: { GREETING: reference } }));
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json).toEqual({ status: "error", stage: "validation", reason: expect.any(String), fix_suggestion: expect.any(String) });
      // The reference is named as sent, except a path of the machine, which the answer does not repeat.
      const reason = refused.json.reason as string;
      if (reference.includes(root)) {
        expect(reason).toMatch(new RegExp(`^secrets\\.GREETING: 'file:[^']*#KEY' is not granted to project '${shop}' on this service$`));
        expect(reason).not.toContain(root);
      } else {
        expect(reason).toBe(`secrets.GREETING: '${reference}' is not granted to project '${shop}' on this service`);
      }
    }
  });

  it.each([
    ["blog's source", () => "blog"],
    ["blog's source by its absolute path", () => path.join(root, "apps", "blog")],
    ["a '..' walk out of shop's source", () => "shop/../blog"],
    ["an absolute system directory", () => "/etc"],
    ["the service's workspace", () => workspace],
    ["the source root itself", () => "."],
    ["a source swapped for a link to blog's", () => "shop/swap"],
  ])("refuses %s as a source on plan and deploy without telling where it resolved", async (_what, written) => {
    for (const route of ["/v1/plan", "/v1/deployments"]) {
      const refused = await call(tokens["shop-deploy"]!.token, "POST", route, shopRequest({ source: written() }));
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json).toMatchObject({ status: "error", stage: "validation", reason: "source: outside the directories this project may deploy, or missing" });
    }
  });

  it("refuses a shop token that names blog as its project, whatever its scope", async () => {
    for (const scope of ["read", "deploy", "admin"]) {
      const refused = await call(tokens[`shop-${scope}`]!.token, "POST", "/v1/deployments", { ...staticRequest(blog, "blog", "development") });
      expect(refused.status).toBe(403);
      expect(refused.json).toMatchObject({ status: "error", reason: `this token may not deploy project '${blog}'` });
    }
    // A read token deploys nothing, even in its own project.
    expect((await call(tokens["shop-read"]!.token, "POST", "/v1/deployments", shopRequest())).status).toBe(403);
  });

  it("gives the shop app its one granted reference and no value it was not granted", async () => {
    const url = (shopDeployment.result as { url: string }).url;
    const page = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    // The page is the app's own (it is expected to hold the granted value), not an answer of the service.
    expect(page.split("\n")[0]).toBe(GREETING);
    const appEnv = await (await fetch(`${url}/env`, { signal: AbortSignal.timeout(10_000) })).text();
    expect(JSON.parse(appEnv)).toMatchObject({ GREETING });
    for (const value of SECRET_VALUES) expect(appEnv).not.toContain(value);
    const blogPage = await (await fetch((blogDeployment.result as { url: string }).url, { signal: AbortSignal.timeout(10_000) })).text();
    for (const value of SECRET_VALUES.filter((value) => value !== BLOG_CONFIG)) expect(blogPage).not.toContain(value);
  });

  it("deploys the content accepted, not what a link swapped in after acceptance leads to", async () => {
    // The deployment was accepted with shop/swap a directory of shop's; by the time it ran, a link to blog's source.
    expect(swapDeployment, JSON.stringify(swapDeployment)).toMatchObject({ status: "succeeded", result: { status: "success" } });
    const url = (swapDeployment.result as { url: string }).url;
    expect(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text()).toContain(ACCEPTED);
    const config = await fetch(`${url}/prod-config.txt`, { signal: AbortSignal.timeout(10_000) });
    expect(config.status).toBe(404);
    expect(await config.text()).not.toContain(BLOG_CONFIG);
  });

  it("does not let forged token ids spend a victim's allowance", async () => {
    const victim = tokens["blog-read"]!;
    const attacker = "10.66.0.1";
    const forged = () => `dp_${victim.id}_${randomBytes(32).toString("base64url")}`;
    const statuses: number[] = [];
    // The service's default allowance is 300 a minute: the forged requests outrun it, counted against their sender.
    for (let i = 0; i < 320; i++) statuses.push((await call(forged(), "GET", `/v1/stacks/${blog}/development`, undefined, { "x-forwarded-for": attacker })).status);
    expect(statuses.slice(0, 250).every((status) => status === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // The victim still calls, from its own address as from the attacker's.
    expect((await call(victim.token, "GET", `/v1/stacks/${blog}/development`, undefined, { "x-forwarded-for": "10.66.0.2" }, false)).status).toBe(200);
    expect((await call(victim.token, "GET", `/v1/stacks/${blog}/development`, undefined, { "x-forwarded-for": attacker }, false)).status).toBe(200);
  }, 60_000);

  it("ends a revoked token's open stream within a few seconds", async () => {
    const run = await cli(["tokens", "create", "--name", "shop-reader", "--project", shop, "--scope", "read", "--json", "--workspace", workspace], env, 60_000);
    const reader = issued(run.stdout);
    let revokedAt = 0;
    const stream = await readStream(reader.token, `/v1/stacks/${shop}/development/logs?follow=true`, 25_000, async () => {
      await sleep(1_000);
      const revoked = await cli(["tokens", "revoke", reader.id, "--workspace", workspace], env, 60_000);
      expect(revoked.code, revoked.stdout + revoked.stderr).toBe(0);
      revokedAt = Date.now();
    });
    expect(stream.status).toBe(200);
    expect(stream.endedAt, "the stream was still open 25 s after it opened").not.toBeNull();
    expect(stream.endedAt! - revokedAt).toBeLessThan(5_000);
    expect(stream.text).toContain("revoked");
    expect((await call(reader.token, "GET", `/v1/stacks/${shop}/development`)).status).toBe(401);
  }, 90_000);

  it("bounds what a caller may send: a body over 1 MiB, an overlong path segment, oversized headers", async () => {
    const token = tokens["shop-deploy"]!.token;
    const big = await call(token, "POST", "/v1/plan", shopRequest({ padding: "x".repeat(1_100_000) }));
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ status: "error", reason: expect.any(String), fix_suggestion: expect.any(String) });
    const long = await call(token, "GET", `/v1/deployments/${"a".repeat(300)}`);
    expect(long.status).toBe(414);
    expect(long.json).toMatchObject({ status: "error", reason: expect.any(String) });
    const headers = await call(token, "GET", "/v1/stacks", undefined, { "x-padding": "y".repeat(20_000) });
    expect(headers.status).toBe(431);
    expect(headers.json).toMatchObject({ status: "error", reason: expect.stringContaining("request headers") });
  });

  it("reads its own deployments' events and logs, and nothing the attacker received names a path or a secret", async () => {
    // The attacker's own records, read fully, are part of what it received.
    for (const deployment of [shopDeployment, swapDeployment]) {
      await readStream(tokens["shop-read"]!.token, `/v1/deployments/${deployment.id as string}/events`, 10_000);
      await call(tokens["shop-read"]!.token, "GET", `/v1/deployments/${deployment.id as string}/log`);
    }
    for (const route of [`/v1/stacks/${shop}/development`, `/v1/stacks/${shop}/development/history`, `/v1/stacks/${shop}/development/logs`, `/v1/audit?stack=${shop}.development&verify=true`]) {
      await call(tokens["shop-admin"]!.token, "GET", route);
    }
    const paths = [root, workspace, os.homedir(), os.tmpdir() + path.sep, "/root", "/tmp/", "/var/lib"];
    expect(received.length).toBeGreaterThan(200);
    const leaks: string[] = [];
    for (const text of received) {
      for (const needle of [...paths, ...SECRET_VALUES]) {
        const at = text.indexOf(needle);
        if (at >= 0) leaks.push(`${needle}: …${text.slice(Math.max(0, at - 80), at + 80)}…`);
      }
    }
    expect(leaks).toEqual([]);
  }, 60_000);

  it("wrote no token's secret and no secret value to the service's own log", () => {
    const log = serve!.stderr();
    expect(log).toContain("listening on");
    for (const { token } of Object.values(tokens)) expect(log).not.toContain(token.slice("dp_".length + 16 + 1));
    for (const value of SECRET_VALUES.filter((value) => value !== BLOG_CONFIG)) expect(log).not.toContain(value);
  });
});
