import { randomBytes } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueId } from "../support/engine";
import { PREVIEW_APP_PACKAGE, refusesConnections, TOKEN_REPORTING_SERVER, startPreviewService, type PreviewService } from "../support/preview-service";

const TOKEN_ENV = `DP_PREVIEW_TEST_API_TOKEN_${process.pid}`;
const apiToken = randomBytes(16).toString("hex");

const sha = () => randomBytes(20).toString("hex");

/**
 * Pull-request previews end to end through the generic hook (a relay's pull request, so no GitHub is involved): a
 * real PostgreSQL, the service's worker deploying on the local target, and HTTP checks on the previews' URLs.
 */
describe("pull-request previews in the deployment service", () => {
  let sourceDir = "";
  let preview: PreviewService;
  const shop = uniqueId("pv-shop");
  const capped = uniqueId("pv-cap");
  const stacks: string[] = [];

  beforeAll(async () => {
    preview = await startPreviewService({
      prefix: "dp-previews-",
      env: { [TOKEN_ENV]: apiToken },
      async prepare(root) {
        const sourceRoot = path.join(root, "sources");
        sourceDir = path.join(sourceRoot, "shop");
        await mkdir(sourceDir, { recursive: true });
        await writeFile(path.join(sourceDir, "server.js"), TOKEN_REPORTING_SERVER);
        await writeFile(path.join(sourceDir, "package.json"), PREVIEW_APP_PACKAGE);
        await writeFile(path.join(sourceDir, "message.txt"), "first\n");
        const configDir = path.join(root, "config");
        await mkdir(configDir);
        const request = (project: string) => ({
          project_id: project,
          deployment_type: "api",
          tech_stack: ["Node.js"],
          target: "local",
          environment: { ENV: "development" },
          source: "../sources/shop",
          secrets: { API_TOKEN: `env:${TOKEN_ENV}` },
        });
        await writeFile(path.join(configDir, "shop.json"), JSON.stringify(request(shop)));
        await writeFile(path.join(configDir, "capped.json"), JSON.stringify(request(capped)));
        return { configDir, sourceRoot };
      },
      config: ({ hookSecretRef }) => [
        "projects:",
        `  ${shop}: { sources: [../sources], secrets: ["env:DP_PREVIEW_TEST_*"] }`,
        `  ${capped}: { sources: [../sources], secrets: ["env:DP_PREVIEW_TEST_*"] }`,
        "hooks:",
        `  generic: [{ name: relay, secret: "${hookSecretRef}" }]`,
        "  rules:",
        "    - { source: relay, repository: acme/shop, pull_requests: true, request: shop.json }",
        "    - { source: relay, repository: acme/capped, pull_requests: true, request: capped.json, max_previews: 2 }",
        "previews: { sweep_interval_seconds: 1 }",
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await preview?.stop(stacks);
    // No answer the service gave carried the secret's value.
    expect((preview?.answers ?? []).join("\n")).not.toContain(apiToken);
  }, 180_000);

  /** Delivers a relay's pull request, signed with the hook's secret. */
  const pullRequest = (repository: string, number: number, action: string, headCommit: string, fork = false) => preview.relayPullRequest(repository, number, action, headCommit, fork);
  const finished = (id: string, timeoutMs = 180_000) => preview.finished(id, timeoutMs);
  /** The preview's record, as the service keeps it. */
  const previewRow = (stack: string) => preview.previewRow(stack);
  const waitForState = (stack: string, state: string, timeoutMs = 180_000) => preview.waitForState(stack, state, timeoutMs);

  const body = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
  const stackFileExists = (stack: string) => access(path.join(preview.service.workspace.stacksDir, `Pulumi.${stack}.yaml`)).then(() => true, () => false);

  it("opened deploys the head commit to preview-pr-<n> with its secrets; a repeated head commit is not deployed again; synchronize twice serves the last", async () => {
    const stack = `${shop}.preview-pr-1`;
    stacks.push(stack);
    const first = sha();
    const opened = await pullRequest("acme/shop", 1, "opened", first);
    expect(opened).toMatchObject({ status: 202, body: { status: "queued" } });
    const done = await finished(opened.body.deployments[0]!);
    expect(done).toMatchObject({ status: "succeeded", stack, result: { version_name: first.slice(0, 12) } });
    const live = await waitForState(stack, "live");
    expect(live.head_sha).toBe(first);
    expect(await body(live.url!)).toBe("first\napi_token_set=true\n");
    // The plan says plainly where the content came from: the rule's directory, not the commit.
    expect(JSON.stringify(done.result)).toContain("content: the rule's source directory on the service");

    const again = await pullRequest("acme/shop", 1, "synchronize", first);
    expect(again).toMatchObject({ status: 200, body: { status: "ignored", message: expect.stringContaining("already live") } });

    await writeFile(path.join(sourceDir, "message.txt"), "second\n");
    const second = await pullRequest("acme/shop", 1, "synchronize", sha());
    await writeFile(path.join(sourceDir, "message.txt"), "third\n");
    const lastCommit = sha();
    const third = await pullRequest("acme/shop", 1, "synchronize", lastCommit);
    expect([second.status, third.status]).toEqual([202, 202]);
    const secondDone = await finished(second.body.deployments[0]!);
    // The second was either replaced before it started, or ran before the third arrived.
    expect(["succeeded", "superseded"]).toContain(secondDone.status);
    expect(await finished(third.body.deployments[0]!)).toMatchObject({ status: "succeeded" });
    const latest = await waitForState(stack, "live");
    expect(latest.head_sha).toBe(lastCommit);
    expect(await body(latest.url!)).toBe("third\napi_token_set=true\n");

    const listed = (await (await fetch(`${preview.service.base}/v1/stacks?preview=true`, { headers: { authorization: `Bearer ${preview.readToken}` } })).json()) as { stacks: { stack: string }[] };
    expect(listed.stacks.map((entry) => entry.stack)).toContain(stack);
  }, 600_000);

  it("closed destroys the preview: its URL refuses connections and its stack is gone", async () => {
    const stack = `${shop}.preview-pr-1`;
    const url = (await previewRow(stack))!.url!;
    const closed = await pullRequest("acme/shop", 1, "closed", sha());
    expect(closed).toMatchObject({ status: 202, body: { status: "queued" } });
    expect(await finished(closed.body.deployments[0]!)).toMatchObject({ status: "succeeded", operation: "destroy" });
    await waitForState(stack, "destroyed");
    expect(await refusesConnections(url)).toBe(true);
    expect(await stackFileExists(stack)).toBe(false);
    const again = await pullRequest("acme/shop", 1, "closed", sha());
    expect(again).toMatchObject({ status: 200, body: { status: "ignored" } });
  }, 300_000);

  it("deploys a fork's pull request without its secrets (secretless) and says so", async () => {
    const stack = `${shop}.preview-pr-2`;
    stacks.push(stack);
    const opened = await pullRequest("acme/shop", 2, "opened", sha(), true);
    expect(opened.status).toBe(202);
    const done = await finished(opened.body.deployments[0]!);
    expect(done.status).toBe("succeeded");
    expect(JSON.stringify(done.result)).toContain("fork pull request: secrets withheld (forks: secretless); API_TOKEN is not set");
    const live = await waitForState(stack, "live");
    expect(await body(live.url!)).toMatch(/api_token_set=false/);
  }, 300_000);

  it("keeps at most max_previews per project: the least recently updated goes, and a preview past its time to live is swept", async () => {
    const ids: string[] = [];
    for (const number of [10, 11, 12]) {
      stacks.push(`${capped}.preview-pr-${number}`);
      const opened = await pullRequest("acme/capped", number, "opened", sha());
      expect(opened.status).toBe(202);
      ids.push(opened.body.deployments[0]!);
    }
    for (const id of ids) await finished(id);
    await waitForState(`${capped}.preview-pr-10`, "destroyed");
    const eleven = await waitForState(`${capped}.preview-pr-11`, "live");
    const twelve = await waitForState(`${capped}.preview-pr-12`, "live");
    expect(await stackFileExists(`${capped}.preview-pr-10`)).toBe(false);
    expect(await body(eleven.url!)).toMatch(/api_token_set=true/);
    expect(await body(twelve.url!)).toMatch(/api_token_set=true/);

    // #11's closed event never arrives; its last update was longer ago than its time to live (72 hours by default).
    await preview.service.database.pool.query("update deployment_planner.previews set updated_at = now() - interval '73 hours' where stack = $1", [`${capped}.preview-pr-11`]);
    await waitForState(`${capped}.preview-pr-11`, "destroyed");
    expect(await refusesConnections(eleven.url!)).toBe(true);
    expect(await stackFileExists(`${capped}.preview-pr-11`)).toBe(false);
    expect(await body(twelve.url!)).toMatch(/api_token_set=true/);
  }, 600_000);
});
