import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeGitHub } from "../fakes/github-api";
import { uniqueId } from "../support/engine";
import { MESSAGE_SERVER, PREVIEW_APP_PACKAGE, startPreviewService, type PreviewService } from "../support/preview-service";

const TOKEN_ENV = `DP_PREVIEW_GH_TOKEN_${process.pid}`;
const githubToken = `ghp_${randomBytes(18).toString("hex")}`;

const appFiles = (message: string) => ({
  "app/server.js": MESSAGE_SERVER,
  "app/package.json": PREVIEW_APP_PACKAGE,
  "app/message.txt": `${message}\n`,
});

/**
 * Pushes and fork pull requests with GitHub's API configured, against a local FAKE of GitHub's REST API (GitHub itself
 * cannot be reached from tests): a push deploys the pushed commit's own files, never the rule's directory on the
 * service; a fork's pull request under `forks: refuse` deploys nothing and the pull request is told why.
 */
describe("deployments of GitHub commits through its API (fake GitHub)", () => {
  let preview: PreviewService;
  let service: PreviewService["service"];
  let github: FakeGitHub;
  const shop = uniqueId("pv-gh");
  const stacks = [`${shop}.development`];

  beforeAll(async () => {
    preview = await startPreviewService({
      prefix: "dp-preview-gh-",
      githubToken,
      env: { [TOKEN_ENV]: githubToken },
      async prepare(root) {
        const configDir = path.join(root, "config");
        // The rule's directory on the service holds other content than the commit: what is served tells them apart.
        await mkdir(path.join(configDir, "app"), { recursive: true });
        for (const [file, content] of Object.entries(appFiles("the service's own directory"))) await writeFile(path.join(configDir, file), content);
        await writeFile(path.join(configDir, "shop.json"), JSON.stringify({ project_id: shop, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "app" }));
        return { configDir, sourceRoot: configDir };
      },
      config: ({ hookSecretRef, github: fake }) => [
        "hooks:",
        "  github:",
        `    secret: ${hookSecretRef}`,
        `    api_url: ${fake!.url}`,
        `    token: env:${TOKEN_ENV}`,
        "  rules:",
        "    - { source: github, repository: acme/shop, branch: main, pull_requests: true, forks: refuse, request: shop.json }",
      ],
    });
    service = preview.service;
    github = preview.github!;
  }, 180_000);

  afterAll(async () => {
    await preview?.stop(stacks);
    expect(JSON.stringify(preview?.github?.requests ?? [])).not.toContain(githubToken);
  }, 180_000);

  const deliver = (event: string, payload: unknown) => preview.githubEvent(event, payload);
  const finished = (id: string, timeoutMs = 300_000) => preview.finished(id, timeoutMs);

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
