import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDatabase } from "../../src/service/database";
import { createToken } from "../../src/service/tokens";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { runCliProcess as cli, startServeProcess, type ServeProcess } from "../support/serve-process";
import { startFakeGitHub, type FakeGitHub } from "../fakes/github-api";
import { refusesConnections, TOKEN_REPORTING_SERVER } from "../support/preview-service";
import { openTestDatabase, serveDatabaseLeftovers } from "../support/database";

const HOOK_SECRET = randomBytes(24).toString("hex");
const GITHUB_TOKEN = `ghp_${randomBytes(18).toString("hex")}`;
const API_TOKEN = `api-token-${randomUUID()}`;

/** A commit of the app: the request's `source` is `app`, read from the repository's root. */
const appFiles = (message: string) => ({
  "README.md": "the shop\n",
  "app/server.js": TOKEN_REPORTING_SERVER,
  "app/package.json": JSON.stringify({ name: "preview-app", version: "1.0.0", private: true, scripts: { start: "node server.js" } }),
  "app/message.txt": `${message}\n`,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Pull-request previews on a real `deployment-planner serve --with-worker` process (embedded PostgreSQL, the real
 * Pulumi engine, the local target), with a local FAKE of GitHub's REST API standing in for GitHub: every request the
 * service sends it is checked against GitHub's OpenAPI description. Signed `pull_request` events deploy the head
 * commit's own files, fetched as the fake's archive; the pull request gets one comment, edited in place, and commit
 * statuses; GitHub failing (502, a rate limit) is retried and never holds up a deployment.
 */
describe("pull-request previews on a real service, with a fake GitHub", () => {
  const shop = uniqueId("pr-shop");
  const capped = uniqueId("pr-cap");
  let root = "";
  let workspace = "";
  let env: NodeJS.ProcessEnv = {};
  let serve: ServeProcess | undefined;
  let github: FakeGitHub;
  let database: ServiceDatabase | undefined;
  let readToken = "";
  const stacks: string[] = [];
  const answers: string[] = [];

  beforeAll(async () => {
    github = await startFakeGitHub({ token: GITHUB_TOKEN });
    root = await mkdtemp(path.join(os.tmpdir(), "dp-pr-previews-"));
    workspace = path.join(root, "workspace");
    const configDir = path.join(root, "config");
    await mkdir(configDir, { recursive: true });
    const request = (project: string) => ({
      project_id: project,
      deployment_type: "api",
      tech_stack: ["Node.js"],
      target: "local",
      environment: { ENV: "development" },
      source: "app",
      secrets: { API_TOKEN: "env:DP_PR_E2E_API_TOKEN" },
    });
    await writeFile(path.join(configDir, "shop.json"), JSON.stringify(request(shop)));
    await writeFile(path.join(configDir, "capped.json"), JSON.stringify(request(capped)));
    const config = path.join(configDir, "service.yaml");
    await writeFile(
      config,
      [
        "projects:",
        `  ${shop}: { secrets: ["env:DP_PR_E2E_*"] }`,
        `  ${capped}: { secrets: ["env:DP_PR_E2E_*"] }`,
        "hooks:",
        "  github:",
        "    secret: env:DP_PR_E2E_HOOK_SECRET",
        `    api_url: ${github.url}`,
        "    token: env:DP_PR_E2E_GITHUB_TOKEN",
        "  rules:",
        "    - { source: github, repository: acme/shop, pull_requests: true, request: shop.json }",
        "    - { source: github, repository: acme/capped, pull_requests: true, request: capped.json, max_previews: 2 }",
        "previews: { sweep_interval_seconds: 1 }",
      ].join("\n"),
    );
    env = {
      ...process.env,
      DATABASE_URL: "",
      DP_PR_E2E_HOOK_SECRET: HOOK_SECRET,
      DP_PR_E2E_GITHUB_TOKEN: GITHUB_TOKEN,
      DP_PR_E2E_API_TOKEN: API_TOKEN,
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
    };
    delete env.PULUMI_BACKEND_URL;
    serve = await startServeProcess(["--with-worker", "--concurrency", "2", "--source-root", configDir, "--config", config, "--workspace", workspace], env);
    // The test joins the service's embedded PostgreSQL, as a second process of the workspace would.
    database = await openTestDatabase(path.join(workspace, ".deployment-planner"));
    readToken = (await createToken(database.pool, ["*"], "read")).token;
  }, 240_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null) {
      for (const stack of stacks) {
        const [project, environment] = stack.split(".");
        await cli(["destroy", project!, environment!, "--remove", "--workspace", workspace], env, 120_000).catch(() => undefined);
      }
    }
    await database?.close();
    await serve?.stop();
    await github?.close();
    if (root) {
      // A root-run embedded server keeps its data outside the workspace, named by it.
      for (const leftover of [root, ...serveDatabaseLeftovers(path.resolve(workspace, ".deployment-planner"))]) await rm(leftover, { recursive: true, force: true });
    }
    // Nothing the service answered or sent GitHub carried a secret's value.
    const sent = JSON.stringify(github?.requests ?? []);
    for (const secret of [API_TOKEN, HOOK_SECRET, GITHUB_TOKEN]) {
      expect(answers.join("\n")).not.toContain(secret);
      expect(sent).not.toContain(secret);
    }
  }, 300_000);

  /** Delivers a GitHub `pull_request` event, signed as GitHub signs it. */
  async function pullRequest(repository: string, number: number, action: string, head: string, headRepository = repository) {
    const body = JSON.stringify({
      action,
      number,
      repository: { full_name: repository },
      pull_request: { number, merged: false, head: { sha: head, repo: { full_name: headRepository } }, base: { repo: { full_name: repository } } },
    });
    const response = await fetch(`${serve!.address}/v1/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", HOOK_SECRET).update(body).digest("hex")}`,
      },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as { status: string; message: string; deployments?: string[] } };
  }

  async function finished(id: string, timeoutMs = 240_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(`${serve!.address}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${readToken}` } });
      const text = await response.text();
      answers.push(text);
      const record = JSON.parse(text) as Record<string, unknown>;
      if (["succeeded", "failed", "superseded"].includes(String(record.status))) return record;
      if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms: ${text}`);
      await sleep(500);
    }
  }

  async function previewRow(stack: string) {
    const rows = await database!.pool.query("select * from deployment_planner.previews where stack = $1", [stack]);
    return rows.rows[0] as { state: string; head_sha: string; url: string | null } | undefined;
  }

  async function waitForState(stack: string, state: string, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await previewRow(stack);
      if (row?.state === state) return row;
      if (Date.now() > deadline) throw new Error(`preview ${stack} is ${row?.state ?? "unrecorded"}, not ${state}, after ${timeoutMs} ms`);
      await sleep(300);
    }
  }

  /** The pull request's comments of this service, once the newest says `text` (feedback is written in the background). */
  async function commentSaying(repository: string, number: number, ...texts: string[]) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const mine = github.comments(repository, number).filter((c) => c.body.startsWith("<!-- deployment-planner:preview:"));
      if (mine.some((c) => texts.every((text) => c.body.includes(text)))) return mine;
      if (Date.now() > deadline) throw new Error(`no comment on ${repository}#${number} says ${JSON.stringify(texts)}: ${JSON.stringify(mine.map((c) => c.body))}`);
      await sleep(300);
    }
  }

  async function statusesUntil(repository: string, sha: string, state: string, timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses = github.statuses(repository, sha);
      if (statuses.some((s) => s.state === state)) return statuses;
      if (Date.now() > deadline) throw new Error(`no ${state} status on ${repository}@${sha}: ${JSON.stringify(statuses)}`);
      await sleep(300);
    }
  }

  const body = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  const stackFileExists = (stack: string) => access(path.join(workspace, "stacks", `Pulumi.${stack}.yaml`)).then(() => true, () => false);

  it("opened serves the head commit's files from GitHub's archive, with one comment and a success status, while GitHub's 502 and rate limit are retried without holding it up", async () => {
    const stack = `${shop}.preview-pr-1`;
    stacks.push(stack);
    const first = github.addCommit("acme/shop", appFiles("first"));
    // GitHub fails the feedback's first calls: a 502 on the comments, a rate limit on the status.
    const reset = Math.ceil(Date.now() / 1000) + 6;
    github.failNext(502, 1, "GET /repos/acme/shop/issues/1/comments");
    github.failNext(403, 1, "POST /repos/acme/shop/statuses/", { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(reset) } });

    const opened = await pullRequest("acme/shop", 1, "opened", first);
    expect(opened.status, JSON.stringify(opened.body)).toBe(202);
    const done = await finished(opened.body.deployments![0]!);
    expect(done, JSON.stringify(done)).toMatchObject({ status: "succeeded", stack, result: { version_name: first.slice(0, 12) } });
    expect(JSON.stringify(done.result)).toContain(`content: commit ${first} of acme/shop, fetched through GitHub's API`);
    const live = await waitForState(stack, "live");
    expect(await body(live.url!)).toBe("first\napi_token_set=true\n");

    const comments = await commentSaying("acme/shop", 1, "Live");
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`<!-- deployment-planner:preview:${shop} -->`);
    expect(comments[0]!.body).toContain(`\`${first.slice(0, 7)}\``);
    expect(comments[0]!.body).toContain(`(${new URL(live.url!).href})`);
    const statuses = await statusesUntil("acme/shop", first, "success");
    expect(statuses.at(-1)).toMatchObject({ state: "success", target_url: new URL(live.url!).href, context: `deployment-planner/preview/${shop}` });

    // The archive came through GitHub's redirect; the failures were answered and retried.
    const calls = github.requests.map((r) => `${r.operationId} ${r.status}`);
    expect(calls).toContain("repos/download-tarball-archive 302");
    expect(calls).toContain("codeload 200");
    const listings = github.requests.filter((r) => r.url.startsWith("/repos/acme/shop/issues/1/comments"));
    expect(listings.slice(0, 2).map((r) => r.status)).toEqual([502, 200]);
    const statusCalls = github.requests.filter((r) => r.url.startsWith(`/repos/acme/shop/statuses/${first}`));
    expect(statusCalls[0]!.status).toBe(403);
    expect(statusCalls[1]!.status).toBe(201);
    expect(statusCalls[1]!.at).toBeGreaterThanOrEqual(reset * 1000);
    // The deployment did not wait for GitHub: it ran while the status was still held by the rate limit.
    expect(Date.parse(String(done.started_at))).toBeLessThan(statusCalls[1]!.at);
    expect(github.invalid).toEqual([]);
  }, 400_000);

  it("two synchronize pushes: the same comment is edited (still one) and the preview serves the last commit", async () => {
    const stack = `${shop}.preview-pr-1`;
    const second = github.addCommit("acme/shop", appFiles("second"));
    const third = github.addCommit("acme/shop", appFiles("third"));
    const syncSecond = await pullRequest("acme/shop", 1, "synchronize", second);
    const syncThird = await pullRequest("acme/shop", 1, "synchronize", third);
    expect([syncSecond.status, syncThird.status]).toEqual([202, 202]);
    expect(["succeeded", "superseded"]).toContain((await finished(syncSecond.body.deployments![0]!)).status);
    expect(await finished(syncThird.body.deployments![0]!)).toMatchObject({ status: "succeeded" });
    const live = await waitForState(stack, "live");
    expect(live.head_sha).toBe(third);
    expect(await body(live.url!)).toBe("third\napi_token_set=true\n");
    const comments = await commentSaying("acme/shop", 1, `\`${third.slice(0, 7)}\``, "Live");
    expect(comments).toHaveLength(1);
    expect((await statusesUntil("acme/shop", third, "success")).at(-1)).toMatchObject({ state: "success", target_url: new URL(live.url!).href });
    expect(github.invalid).toEqual([]);
  }, 400_000);

  it("closed destroys the preview (its URL refuses connections, its stack is gone) and the comment says so", async () => {
    const stack = `${shop}.preview-pr-1`;
    const url = (await previewRow(stack))!.url!;
    const closed = await pullRequest("acme/shop", 1, "closed", (await previewRow(stack))!.head_sha);
    expect(closed.status, JSON.stringify(closed.body)).toBe(202);
    expect(await finished(closed.body.deployments![0]!)).toMatchObject({ status: "succeeded", operation: "destroy" });
    await waitForState(stack, "destroyed");
    expect(await refusesConnections(url)).toBe(true);
    expect(await stackFileExists(stack)).toBe(false);
    const comments = await commentSaying("acme/shop", 1, "Destroyed");
    expect(comments).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  }, 300_000);

  it("a fork's pull request with a secret in its request: the app gets no value, and the comment says the secrets were withheld", async () => {
    const stack = `${shop}.preview-pr-2`;
    stacks.push(stack);
    const head = github.addCommit("acme/shop", appFiles("from a fork"));
    const opened = await pullRequest("acme/shop", 2, "opened", head, "mallory/shop");
    expect(opened.status, JSON.stringify(opened.body)).toBe(202);
    const done = await finished(opened.body.deployments![0]!);
    expect(done.status, JSON.stringify(done)).toBe("succeeded");
    const live = await waitForState(stack, "live");
    expect(await body(live.url!)).toBe("from a fork\napi_token_set=false\n");
    const comments = await commentSaying("acme/shop", 2, "Live");
    expect(comments[0]!.body).toContain("secrets withheld");
    expect(comments[0]!.body).toContain("API\\_TOKEN");
  }, 300_000);

  it("max_previews: 2 with three pull requests keeps two live; a preview whose closed event never came is swept after its time to live", async () => {
    const ids: string[] = [];
    const heads: string[] = [];
    for (const number of [10, 11, 12]) {
      stacks.push(`${capped}.preview-pr-${number}`);
      const head = github.addCommit("acme/capped", appFiles(`capped ${number}`));
      heads.push(head);
      const opened = await pullRequest("acme/capped", number, "opened", head);
      expect(opened.status, JSON.stringify(opened.body)).toBe(202);
      ids.push(opened.body.deployments![0]!);
      // Each preview is updated after the one before, so the least recently updated is #10.
      await finished(opened.body.deployments![0]!);
    }
    await waitForState(`${capped}.preview-pr-10`, "destroyed");
    const eleven = await waitForState(`${capped}.preview-pr-11`, "live");
    const twelve = await waitForState(`${capped}.preview-pr-12`, "live");
    expect(await stackFileExists(`${capped}.preview-pr-10`)).toBe(false);
    expect(await body(eleven.url!)).toBe("capped 11\napi_token_set=true\n");
    expect(await body(twelve.url!)).toBe("capped 12\napi_token_set=true\n");
    expect(await commentSaying("acme/capped", 10, "Destroyed")).toHaveLength(1);

    // #11's closed event never arrives; its last update is made older than its time to live (72 hours by default).
    await database!.pool.query("update deployment_planner.previews set updated_at = now() - interval '73 hours' where stack = $1", [`${capped}.preview-pr-11`]);
    await waitForState(`${capped}.preview-pr-11`, "destroyed");
    for (const deadline = Date.now() + 60_000; !(await refusesConnections(eleven.url!)) && Date.now() < deadline; ) await sleep(500);
    expect(await refusesConnections(eleven.url!)).toBe(true);
    expect(await stackFileExists(`${capped}.preview-pr-11`)).toBe(false);
    expect(await body(twelve.url!)).toBe("capped 12\napi_token_set=true\n");
    expect(await commentSaying("acme/capped", 11, "Destroyed")).toHaveLength(1);
    expect(github.invalid).toEqual([]);
  }, 600_000);
});
