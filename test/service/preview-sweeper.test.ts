import { randomBytes } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyStack, readStackSpec, stackConfigPath, writeStackSpec } from "../../src/automation/index";
import { collectExpiredPreviews } from "../../src/automation/release/gc";
import { uniqueId } from "../support/engine";
import { MESSAGE_SERVER, PREVIEW_APP_PACKAGE, refusesConnections, startPreviewService, type PreviewService } from "../support/preview-service";

const sha = () => randomBytes(20).toString("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The previews table stays true when a preview's stack changes outside the service's own destroys: `gc` or a person
 * removing the stack, and a destroy that fails (a real one: the engine refuses a protected stack). A real PostgreSQL,
 * the service's worker on the local target, the sweeper every second.
 */
describe("the preview sweeper keeps the previews table true", () => {
  let preview: PreviewService;
  const shop = uniqueId("pv-sweep");
  const stacks: string[] = [];

  beforeAll(async () => {
    preview = await startPreviewService({
      prefix: "dp-preview-sweeper-",
      async prepare(root) {
        const configDir = path.join(root, "config");
        await mkdir(path.join(configDir, "app"), { recursive: true });
        await writeFile(path.join(configDir, "app", "server.js"), MESSAGE_SERVER);
        await writeFile(path.join(configDir, "app", "package.json"), PREVIEW_APP_PACKAGE);
        await writeFile(path.join(configDir, "app", "message.txt"), "the shop\n");
        await writeFile(path.join(configDir, "shop.json"), JSON.stringify({ project_id: shop, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "app" }));
        return { configDir, sourceRoot: configDir };
      },
      config: ({ hookSecretRef }) => [
        "hooks:",
        `  generic: [{ name: relay, secret: "${hookSecretRef}" }]`,
        "  rules:",
        "    - { source: relay, repository: acme/shop, pull_requests: true, request: shop.json }",
        "previews: { sweep_interval_seconds: 1 }",
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await preview?.stop(stacks);
  }, 180_000);

  /** Opens pull request `number` and waits until its preview is live; its URL. */
  async function livePreview(number: number): Promise<string> {
    const stack = `${shop}.preview-pr-${number}`;
    stacks.push(stack);
    const opened = await preview.relayPullRequest("acme/shop", number, "opened", sha());
    expect(opened.status, JSON.stringify(opened.body)).toBe(202);
    expect(await preview.finished(opened.body.deployments[0]!)).toMatchObject({ status: "succeeded" });
    return (await preview.waitForState(stack, "live")).url!;
  }

  const stackFileExists = (stack: string) => access(stackConfigPath(preview.service.workspace.stacksDir, stack)).then(() => true, () => false);
  const destroys = async (stack: string) =>
    (await preview.service.database.pool.query("select status from deployment_planner.deployments where stack = $1 and operation = 'destroy' order by created_at", [stack])).rows.map(
      (row: { status: string }) => row.status,
    );
  const setProtected = async (stack: string, protect: boolean) => {
    const spec = await readStackSpec(preview.service.workspace.stacksDir, stack);
    await writeStackSpec(preview.service.workspace.stacksDir, { ...spec!, protect });
  };

  it("a preview whose stack a person removed, and one that gc collected, are recorded destroyed without a destroy of the service's", async () => {
    const [removedUrl, collectedUrl] = await Promise.all([livePreview(1), livePreview(2)]);
    const removed = `${shop}.preview-pr-1`;
    const collected = `${shop}.preview-pr-2`;

    // A person removes #1's stack with the library, outside the service.
    await destroyStack(removed, { workspace: preview.service.workspace, removeStack: true });
    expect(await stackFileExists(removed)).toBe(false);
    expect(await preview.waitForState(removed, "destroyed", 30_000)).toMatchObject({ failure: null });
    expect(await refusesConnections(removedUrl)).toBe(true);
    expect((await preview.previewRow(collected))!.state).toBe("live");

    // `gc` on a day after #2's time to live: the library collects it, never telling the service.
    const gc = await collectExpiredPreviews(preview.service.workspace, { now: Date.now() + 365 * 24 * 3_600_000 });
    expect(gc.destroyed).toEqual([collected]);
    await preview.waitForState(collected, "destroyed", 30_000);
    expect(await refusesConnections(collectedUrl)).toBe(true);
    expect(await destroys(removed)).toEqual([]);
    expect(await destroys(collected)).toEqual([]);
  }, 600_000);

  it("a destroy that fails is recorded failed with its reason, retried by the sweeper to three destroys in all, then stays failed (past its time to live, or left destroying by a stopped worker)", async () => {
    const stack = `${shop}.preview-pr-3`;
    const url = await livePreview(3);
    await setProtected(stack, true);

    const closed = await preview.relayPullRequest("acme/shop", 3, "closed", sha());
    expect(closed.status, JSON.stringify(closed.body)).toBe(202);
    expect(await preview.finished(closed.body.deployments[0]!)).toMatchObject({ status: "failed", operation: "destroy" });
    const deadline = Date.now() + 120_000;
    let row = await preview.previewRow(stack);
    while (!(row?.state === "failed" && row.destroy_attempts === 3) && Date.now() < deadline) {
      await sleep(300);
      row = await preview.previewRow(stack);
    }
    expect(row).toMatchObject({ state: "failed", destroy_attempts: 3, failure: expect.stringContaining(`stack '${stack}' is protected`) });

    // Several sweeps later nothing more was tried, and the preview still serves, as its record says.
    await sleep(4_000);
    expect(await destroys(stack)).toEqual(["failed", "failed", "failed"]);
    expect(await preview.previewRow(stack)).toMatchObject({ state: "failed", destroy_attempts: 3 });
    expect(await refusesConnections(url)).toBe(false);

    // Past its time to live the sweeper leaves it failed too: it is never left `destroying` by a destroy that never runs.
    await preview.service.database.pool.query("update deployment_planner.previews set updated_at = now() - interval '73 hours' where stack = $1", [stack]);
    await sleep(4_000);
    expect(await preview.previewRow(stack)).toMatchObject({ state: "failed", destroy_attempts: 3 });
    expect(await destroys(stack)).toEqual(["failed", "failed", "failed"]);

    // A worker that stopped after its destroy failed but before it told the preview leaves it `destroying`: the sweeper
    // settles it from the deployment's own record once that ended over a minute ago.
    const pool = preview.service.database.pool;
    const last = (await pool.query("select id from deployment_planner.deployments where stack = $1 and operation = 'destroy' order by created_at desc limit 1", [stack])).rows[0] as { id: string };
    await pool.query("update deployment_planner.deployments set finished_at = now() - interval '2 minutes' where id = $1", [last.id]);
    await pool.query("update deployment_planner.previews set state = 'destroying', failure = null, deployment_id = $2 where stack = $1", [stack, last.id]);
    expect(await preview.waitForState(stack, "failed", 30_000)).toMatchObject({ destroy_attempts: 3, failure: expect.stringContaining(`stack '${stack}' is protected`) });
    await sleep(3_000);
    expect(await destroys(stack)).toEqual(["failed", "failed", "failed"]);

    // Once the stack may be destroyed, the pull request's closed event destroys it.
    await setProtected(stack, false);
    const again = await preview.relayPullRequest("acme/shop", 3, "closed", sha());
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(await preview.finished(again.body.deployments[0]!)).toMatchObject({ status: "succeeded", operation: "destroy" });
    expect(await preview.waitForState(stack, "destroyed", 30_000)).toMatchObject({ failure: null });
    expect(await refusesConnections(url)).toBe(true);
    expect(await stackFileExists(stack)).toBe(false);
  }, 600_000);
});
