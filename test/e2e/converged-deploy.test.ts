import { execFile } from "node:child_process";
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  planAndDeploy,
  destroyStack,
  readAudit,
  stackHistory,
  sync,
  type DeployResult,
  type DeploySuccess,
} from "../../src/automation/index";
import { NO_SECRETS_FINGERPRINT, secretsFingerprint } from "../../src/automation/release/secrets-fingerprint";
import type { PlannerWorkspace } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { filesContaining, processesUnder } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

function expectSuccess(result: DeployResult): asserts result is DeploySuccess {
  if (result.status !== "success") throw new Error(`expected success, got ${JSON.stringify(result)}`);
}

describe("a deployment the stack already serves runs no engine", () => {
  let t: TestWorkspace;
  let projectId = "";
  let source = "";
  const stack = () => `${projectId}.development`;

  beforeEach(async () => {
    t = await createTestWorkspace("dp-converged-");
    projectId = uniqueId("converged");
    source = path.join(t.root, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
  });

  afterEach(async () => {
    await destroyStack(stack(), { workspace: t.workspace, removeStack: true }).catch(() => undefined);
    for (const pid of await processesUnder(t.root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await t.cleanup();
  });

  function request(extra: Record<string, unknown> = {}) {
    return { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: "v1", ...extra };
  }

  async function deploy(extra: Record<string, unknown> = {}, options: Record<string, unknown> = {}) {
    const progress: string[] = [];
    const result = await planAndDeploy(request(extra), { workspace: t.workspace, env: t.env, onProgress: (line) => progress.push(line), ...options });
    return { result, progress };
  }

  function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir], { cwd: t.root, env: t.env, encoding: "utf8", timeout: 180_000 }, (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it("answers the serving update with no changes, an audit record and a note on that update; a changed bundle runs the engine", async () => {
    const { result: first } = await deploy();
    expectSuccess(first);
    expect(first.converged).toBeUndefined();

    const { result: again, progress } = await deploy();
    expectSuccess(again);
    expect(again).toMatchObject({ converged: true, changes: {}, url: first.url, urls: first.urls, version: first.version, version_name: "v1", artifact_digest: first.artifact_digest, log_file: "" });
    expect(progress.some((line) => line.startsWith(`unchanged: update ${first.version} already serves this deployment`))).toBe(true);
    expect(progress.some((line) => line.startsWith("deploying"))).toBe(false);
    expect(await (await fetch(first.url)).text()).toContain("<h1>");

    // No new update; the history notes the deployment on the update it found serving, and the audit trail records it.
    const history = await stackHistory(stack(), { workspace: t.workspace });
    expect(history).toHaveLength(1);
    expect(history[0]!.confirmed).toMatchObject({ count: 1, last_by: expect.any(String) });
    const records = (await readAudit(t.workspace.dataDir)).filter((r) => r.stack === stack() && r.action === "deploy");
    expect(records.at(-1)).toMatchObject({ status: "success", converged: true, update_version: first.version });
    expect(await sync({ workspace: t.workspace, env: t.env, stack: stack() })).toEqual([{ stack: stack(), status: "unchanged" }]);

    // A fresh CLI process answers the same, in JSON and for a person.
    const json = await cli("deploy", await requestFile(), "--json");
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "success", converged: true, version: first.version, url: first.url, changes: {} });
    const text = await cli("deploy", await requestFile());
    expect(text.stdout).toContain(`${stack()} on local already serves this deployment (update ${first.version}, v1): no changes, no engine run`);
    expect((await stackHistory(stack(), { workspace: t.workspace }))[0]!.confirmed).toMatchObject({ count: 3 });

    // Different content is a different bundle: the engine runs and the new release serves.
    await writeFile(path.join(source, "index.html"), "<h1>second</h1>");
    const { result: changed } = await deploy();
    expectSuccess(changed);
    expect(changed.converged).toBeUndefined();
    expect(changed.version).toBe(first.version + 1);
    expect(changed.artifact_digest).not.toBe(first.artifact_digest);
    expect(await (await fetch(changed.url)).text()).toContain("second");
  });

  it("--refresh runs the engine anyway and reports drift; a release that no longer serves is updated, never called converged", async () => {
    const { result: first } = await deploy();
    expectSuccess(first);

    const { result: refreshed } = await deploy({}, { refresh: true });
    expectSuccess(refreshed);
    expect(refreshed.converged).toBeUndefined();
    expect(refreshed.version).toBe(first.version + 1);
    expect(refreshed.drift).toEqual([]);

    // Every process of the stack killed: the live check fails, so the engine runs and starts it again.
    for (const pid of await processesUnder(t.root)) process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { result: revived, progress } = await deploy();
    expectSuccess(revived);
    expect(revived.converged).toBeUndefined();
    expect(revived.version).toBe(refreshed.version + 1);
    expect(Object.keys(revived.changes).filter((op) => op !== "same")).not.toEqual([]);
    expect(progress.some((line) => line.startsWith("running the engine: its release does not serve as recorded"))).toBe(true);
    expect((await fetch(revived.url)).status).toBe(200);

    // Killed again, the CLI's --refresh finds the stack's resources gone from under it and says so.
    for (const pid of await processesUnder(t.root)) process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const run = await cli("deploy", await requestFile(), "--refresh", "--json");
    expect(run.status, run.stderr).toBe(0);
    const repaired = JSON.parse(run.stdout) as DeploySuccess;
    expect(repaired.converged).toBeUndefined();
    expect(repaired.version).toBe(revived.version + 1);
    expect(repaired.drift!.length).toBeGreaterThan(0);
    expect((await fetch(repaired.url)).status).toBe(200);
  });

  it("runs the engine while another operation holds the stack's lock", async () => {
    const { result: first } = await deploy();
    expectSuccess(first);
    const lock = await t.workspace.stateBackend.acquireStackLock(stack(), { deadline: Date.now() + 10_000 });
    try {
      const { result: blocked, progress } = await deploy({}, { lockWaitMs: 1_000 });
      // It did not answer from the records: it waited for the lock, as an engine run does, and gave up.
      expect(blocked).toMatchObject({ status: "error" });
      expect(progress).toContain("running the engine: another operation holds the stack's lock");
    } finally {
      await lock.release();
    }
    const { result: after } = await deploy();
    expect(after).toMatchObject({ status: "success", converged: true, version: first.version });
  });

  it("compares the secrets by a keyed fingerprint: equal values converge, a changed value runs the engine, no value is written", async () => {
    const app = path.join(t.root, "api");
    await cp(path.join(REPO, "examples", "apps", "node-server"), app, { recursive: true });
    const secretA = `first-${Math.random().toString(36).slice(2)}-value`;
    const secretB = `second-${Math.random().toString(36).slice(2)}-value`;
    const api = { deployment_type: "api", tech_stack: ["Node.js"], source: app, secrets: { API_TOKEN: "env:CONVERGED_API_TOKEN" } };
    const withSecret = (value: string) => deploy(api, { env: { ...t.env, CONVERGED_API_TOKEN: value } });

    const { result: first } = await withSecret(secretA);
    expectSuccess(first);
    const { result: same } = await withSecret(secretA);
    expect(same).toMatchObject({ status: "success", converged: true, version: first.version });

    const { result: rotated, progress } = await withSecret(secretB);
    expectSuccess(rotated);
    expect(rotated.converged).toBeUndefined();
    expect(rotated.version).toBe(first.version + 1);
    expect(progress).toContain(`running the engine: the secrets differ from update ${first.version}'s`);
    expect(await (await fetch(rotated.url)).text()).toContain(`api_token_length=${secretB.length}`);
    const { result: rotatedAgain } = await withSecret(secretB);
    expect(rotatedAgain).toMatchObject({ status: "success", converged: true, version: rotated.version });

    const history = await stackHistory(stack(), { workspace: t.workspace });
    expect(history[0]!.secretsFingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(history[1]!.secretsFingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(history[0]!.secretsFingerprint).not.toBe(history[1]!.secretsFingerprint);
    for (const value of [secretA, secretB]) expect(await filesContaining(t.root, value)).toEqual([]);
  });

  async function requestFile(): Promise<string> {
    const file = path.join(t.root, "request.json");
    await writeFile(file, JSON.stringify(request()));
    return file;
  }
});

describe("the secrets fingerprint", () => {
  const keyed = (passphrase: string) => ({ envVars: { PULUMI_CONFIG_PASSPHRASE: passphrase } }) as unknown as PlannerWorkspace;

  it("is equal for equal values, differs by value, stack and key, and holds no value", async () => {
    const values = { API_TOKEN: "tok-0123456789", DB_URL: "postgres://u:p@h/db" };
    const one = await secretsFingerprint(keyed("k1"), "pf.production", values);
    expect(one).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(await secretsFingerprint(keyed("k1"), "pf.production", { DB_URL: values.DB_URL, API_TOKEN: values.API_TOKEN })).toBe(one);
    expect(await secretsFingerprint(keyed("k1"), "pf.production", { ...values, API_TOKEN: "tok-0123456788" })).not.toBe(one);
    expect(await secretsFingerprint(keyed("k1"), "pf.staging", values)).not.toBe(one);
    expect(await secretsFingerprint(keyed("k2"), "pf.production", values)).not.toBe(one);
    // Names and values cannot trade places: "AB"="C" is not "A"="BC".
    expect(await secretsFingerprint(keyed("k1"), "s", { AB: "C" })).not.toBe(await secretsFingerprint(keyed("k1"), "s", { A: "BC" }));
    for (const value of Object.values(values)) expect(one).not.toContain(value);
  });

  it("is 'none' without secrets, and unknown (null) when the passphrase cannot be read", async () => {
    expect(await secretsFingerprint(keyed("k1"), "pf.production", {})).toBe(NO_SECRETS_FINGERPRINT);
    const unreadable = { envVars: { PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/passphrase" } } as unknown as PlannerWorkspace;
    expect(await secretsFingerprint(unreadable, "pf.production", { API_TOKEN: "x" })).toBeNull();
  });
});
