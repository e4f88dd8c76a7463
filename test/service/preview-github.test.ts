import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServiceConfig } from "../../src/service/config";
import { createToken } from "../../src/service/tokens";
import { startWorker } from "../../src/service/worker";
import { startFakeGitHub, type FakeGitHub } from "../fakes/github-api";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const HOOK_SECRET_ENV = `DP_PREVIEW_GH_HOOK_${process.pid}`;
const TOKEN_ENV = `DP_PREVIEW_GH_TOKEN_${process.pid}`;
const hookSecret = randomBytes(24).toString("hex");
const githubToken = `ghp_${randomBytes(18).toString("hex")}`;

const SERVER = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); res.end("ok\\n"); return; }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(fs.readFileSync(path.join(__dirname, "message.txt"), "utf8"));
}).listen(Number(process.env.PORT || 3000), process.env.HOST || "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;
const appFiles = (message: string) => ({
  "app/server.js": SERVER,
  "app/package.json": JSON.stringify({ name: "preview-app", version: "1.0.0", private: true, scripts: { start: "node server.js" } }),
  "app/message.txt": `${message}\n`,
});

/**
 * Pushes and fork pull requests with GitHub's API configured, against a local FAKE of GitHub's REST API (GitHub itself
 * cannot be reached from tests): a push deploys the pushed commit's own files, never the rule's directory on the
 * service; a fork's pull request under `forks: refuse` deploys nothing and the pull request is told why.
 */
describe("deployments of GitHub commits through its API (fake GitHub)", () => {
  let root = "";
  let service: ServiceHarness;
  let worker: { stop(): Promise<void> } | null = null;
  let github: FakeGitHub;
  let readToken = "";
  const shop = uniqueId("pv-gh");
  const stacks = [`${shop}.development`];

  beforeAll(async () => {
    process.env[HOOK_SECRET_ENV] = hookSecret;
    process.env[TOKEN_ENV] = githubToken;
    github = await startFakeGitHub({ token: githubToken });
    root = await mkdtemp(path.join(os.tmpdir(), "dp-preview-gh-"));
    const configDir = path.join(root, "config");
    // The rule's directory on the service holds other content than the commit: what is served tells them apart.
    await mkdir(path.join(configDir, "app"), { recursive: true });
    for (const [file, content] of Object.entries(appFiles("the service's own directory"))) await writeFile(path.join(configDir, file), content);
    await writeFile(path.join(configDir, "shop.json"), JSON.stringify({ project_id: shop, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "app" }));
    const configFile = path.join(configDir, "service.yaml");
    await writeFile(
      configFile,
      [
        "hooks:",
        "  github:",
        `    secret: env:${HOOK_SECRET_ENV}`,
        `    api_url: ${github.url}`,
        `    token: env:${TOKEN_ENV}`,
        "  rules:",
        "    - { source: github, repository: acme/shop, branch: main, pull_requests: true, forks: refuse, request: shop.json }",
      ].join("\n"),
    );
    const config = await loadServiceConfig(configFile);
    if ("status" in config) throw new Error(config.reason);
    service = await startServiceHarness(root, configDir, { config }, { worker: false });
    worker = await startWorker({ database: service.database, queue: service.queue, workspace: service.workspace, baseDir: configDir, concurrency: 2, config });
    readToken = (await createToken(service.database.pool, ["*"], "read")).token;
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await service?.stop(stacks);
    await github?.close();
    delete process.env[HOOK_SECRET_ENV];
    delete process.env[TOKEN_ENV];
    expect(JSON.stringify(github?.requests ?? [])).not.toContain(githubToken);
  }, 180_000);

  async function deliver(event: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const response = await fetch(`${service.base}/v1/hooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": `sha256=${createHmac("sha256", hookSecret).update(body).digest("hex")}` },
      body,
      signal: AbortSignal.timeout(120_000),
    });
    return { status: response.status, body: (await response.json()) as { status: string; message: string; deployments: string[] } };
  }

  async function finished(id: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = (await (await fetch(`${service.base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${readToken}` } })).json()) as Record<string, unknown>;
      if (["succeeded", "failed", "superseded"].includes(String(answer.status))) return answer;
      if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it("a push deploys the pushed commit's files from GitHub's archive, and its record names the commit", async () => {
    const commit = github.addCommit("acme/shop", appFiles("from the pushed commit"));
    const pushed = await deliver("push", { ref: "refs/heads/main", after: commit, deleted: false, repository: { full_name: "acme/shop" } });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const done = await finished(pushed.body.deployments[0]!);
    expect(done, JSON.stringify(done)).toMatchObject({ status: "succeeded", stack: `${shop}.development`, result: { version_name: commit.slice(0, 12) } });
    expect(JSON.stringify(done.result)).toContain(`content: commit ${commit} of acme/shop, fetched through GitHub's API`);
    const url = (done.result as { url: string }).url;
    expect(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text()).toBe("from the pushed commit\n");
    expect(github.requests.map((r) => r.operationId)).toContain("repos/download-tarball-archive");
    expect(github.invalid).toEqual([]);
  }, 400_000);

  it("a fork's pull request under forks: refuse deploys nothing, and its comment and status say why", async () => {
    const head = github.addCommit("acme/shop", appFiles("from a fork"));
    const payload = { action: "opened", number: 9, repository: { full_name: "acme/shop" }, pull_request: { number: 9, merged: false, head: { sha: head, repo: { full_name: "mallory/shop" } }, base: { repo: { full_name: "acme/shop" } } } };
    const answer = await deliver("pull_request", payload);
    expect(answer).toMatchObject({ status: 200, body: { status: "ignored", message: expect.stringContaining("forks: refuse") } });
    const count = await service.database.pool.query("select count(*)::int as n from deployment_planner.deployments where stack = $1", [`${shop}.preview-pr-9`]);
    expect(count.rows[0]).toEqual({ n: 0 });
    const deadline = Date.now() + 60_000;
    while (github.statuses("acme/shop", head).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 300));
    expect(github.statuses("acme/shop", head).at(-1)).toMatchObject({ state: "failure", description: expect.stringContaining("forks") });
    const comments = github.comments("acme/shop", 9);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("forks: refuse");
    expect(github.invalid).toEqual([]);
  }, 120_000);
});
