import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAndDeploy } from "../../src/automation/release/deploy";
import { stackHistory } from "../../src/automation/engine/history";
import { breakStaleLocks, lockHolders } from "../../src/automation/backend/locks";
import { destroyStack } from "../../src/automation/engine/operations";
import { listStacks } from "../../src/automation/engine/stack-list";
import { ensurePulumi } from "../../src/toolchain/pulumi";
import { openWorkspace, PROJECT_NAME, type PlannerWorkspace } from "../../src/automation/index";
import { pulumiStateUrl, type ServiceDatabase } from "../../src/service/database";
import { PULUMI_STATE_TABLE } from "../../src/service/migrations";
import { TEST_PASSPHRASE, uniqueId } from "../support/engine";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * Pulumi's PostgreSQL backend read directly (no engine run): stack existence, history, `list` facts and locks come
 * from its documents and agree with what the engine itself reports.
 */
describe("the PostgreSQL state backend, read directly", () => {
  let root = "";
  let database: ServiceDatabase;
  let workspace: PlannerWorkspace;
  const projectId = uniqueId("pgstate");
  const stack = `${projectId}.development`;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-pgstate-"));
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(root, "site"), { recursive: true });
    const workspaceDir = path.join(root, "workspace");
    database = await openTestDatabase(path.join(workspaceDir, ".deployment-planner"));
    const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
    workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain: await ensurePulumi({ env, skipInstaller: true }), backendUrl: pulumiStateUrl(database) });
  }, 180_000);

  afterAll(async () => {
    if (workspace) await destroyStack(stack, { workspace, removeStack: true, force: true }).catch(() => undefined);
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  }, 180_000);

  it("lists the same history as the engine, summarizes the stack, and breaks a dead holder's lock", async () => {
    for (const version of ["v1", "v2"]) {
      const result = await planAndDeploy(
        { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", version_name: version },
        { workspace, baseDir: root },
      );
      expect(result.status, JSON.stringify(result)).toBe("success");
    }

    // The documents are there to be read directly (so the history below is not the engine's answer twice).
    const reader = workspace.stateBackend.reader!;
    expect(await reader.exists("stacks", PROJECT_NAME, `${stack}.json`)).toBe(true);
    expect((await reader.list("history", PROJECT_NAME, stack)).filter((name) => name.endsWith(".history.json"))).toHaveLength(2);
    const direct = await stackHistory(stack, { workspace });
    const engine = await stackHistory(stack, { workspace, fromEngine: true });
    const shape = (entries: typeof direct) => entries.map((e) => ({ version: e.version, kind: e.kind, result: e.result, versionName: e.versionName, digest: e.artifactDigest }));
    expect(shape(direct)).toEqual(shape(engine));
    expect(shape(direct).map((e) => e.versionName)).toEqual(["v2", "v1"]);

    const [summary] = await listStacks(workspace, { projectId });
    expect(summary).toMatchObject({ stack, version: 2, version_name: "v2", url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/), last_update: { kind: "update", result: "succeeded" }, locked: false });

    // A lock the engine left when its process died: stored as the backend stores it, read, judged gone and removed.
    const key = `postgres/.pulumi/locks/organization/${PROJECT_NAME}/${stack}/dead-holder.json`;
    const lock = Buffer.from(JSON.stringify({ pid: 2 ** 22 + 17, username: "deployer", hostname: os.hostname(), timestamp: new Date().toISOString() })).toString("base64");
    await database.pool.query(`insert into ${PULUMI_STATE_TABLE} (key, data) values ($1, $2)`, [key, JSON.stringify({ data: lock })]);
    expect(await lockHolders(workspace, PROJECT_NAME, stack)).toEqual([expect.objectContaining({ file: key, pid: 2 ** 22 + 17, hostname: os.hostname() })]);
    expect((await listStacks(workspace, { projectId }))[0]).toMatchObject({ locked: true });
    const { broken, held } = await breakStaleLocks(workspace, PROJECT_NAME, stack);
    expect(held).toEqual([]);
    expect(broken.map((b) => b.reason)).toEqual([expect.stringContaining("is gone")]);
    expect((await database.pool.query(`select count(*)::int as n from ${PULUMI_STATE_TABLE} where key = $1`, [key])).rows[0]).toEqual({ n: 0 });
  }, 240_000);
});
