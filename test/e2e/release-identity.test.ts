import { execFile } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { identityFor, destroyStack, sync, waitForHealthy } from "../../src/automation/index";
import { CHALLENGE_HEADER, PROOF_HEADER, RELEASE_HEADER, checkProof, readIdentityKey } from "../../src/components/local/release-proof";
import { localStateDir } from "../../src/components/local/release-settings";
import { supervisorStatus } from "../../src/components/local/supervisor-client";
import { renderDeployResult } from "../../src/cli/commands/deploy";
import { EXIT_CODES } from "../../src/cli/exit-codes";
import { loopbackPortIsFree } from "../../src/ports";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { liveProcesses, processesUnder } from "../support/processes";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/**
 * An app that answers its version, echoes the request headers it received on /headers, and sets the identity headers
 * itself on every answer (which must never reach a client: only the supervisor speaks for the stack).
 */
const APP = `
const http = require("node:http");
http.createServer((req, res) => {
  res.setHeader("x-deployment-planner-release", "spoofed-by-the-app");
  res.setHeader("x-deployment-planner-proof", "0".repeat(64));
  if (req.url === "/headers") return void res.end(JSON.stringify(req.headers));
  res.end("identity-v1");
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

/** Whether a process runs (not a zombie). */
async function runs(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** Pids of the process groups led by `leaders` (a release runs in a group of its own). */
async function groupMembers(leaders: readonly number[]): Promise<number[]> {
  return (await liveProcesses()).filter((row) => leaders.includes(row.pgid)).map((row) => row.pid);
}

describe("a local release proves who it is", () => {
  let t: TestWorkspace;
  let projectId = "";
  let request = "";
  let foreign: http.Server | null = null;

  beforeEach(async () => {
    t = await createTestWorkspace("dp-identity-");
    projectId = uniqueId("identity");
    const source = path.join(t.root, "app");
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, "server.js"), APP);
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: "identity-app", scripts: { start: "node server.js" } }));
    request = path.join(t.root, "request.json");
    await writeFile(request, JSON.stringify({ project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source }));
  });

  afterEach(async () => {
    await new Promise((resolve) => (foreign ? foreign.close(resolve) : resolve(undefined)));
    foreign = null;
    await destroyStack(`${projectId}.development`, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    for (const pid of await processesUnder(t.root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await t.cleanup();
  });

  /** Runs the CLI without blocking this process, whose event loop serves the other program's server. */
  function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir], { env: t.env, encoding: "utf8", timeout: 180_000 }, (error, stdout, stderr) =>
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  function json(run: { status: number | null; stdout: string; stderr: string }) {
    try {
      return JSON.parse(run.stdout);
    } catch {
      throw new Error(`not JSON (exit ${run.status}): ${run.stdout}\n${run.stderr}`);
    }
  }

  /** Deploys the request, and returns the result with the supervisor's pid and the pids of its release's processes. */
  async function deploy() {
    const run = await cli("deploy", request, "--json");
    expect(run.status, run.stderr).toBe(0);
    const result = json(run);
    const status = await supervisorStatus(localStateDir(result.stack), t.workspace.dir);
    expect(status).not.toBeNull();
    const leaders = status!.releases.filter((r) => r.alive).map((r) => r.pid);
    return { result, supervisor: status!.pid, releaseProcesses: await groupMembers(leaders) };
  }

  /** Kills the supervisor alone (its releases keep running, as after a crash of the supervisor) and waits for its port. */
  async function killSupervisor(pid: number, port: number): Promise<void> {
    process.kill(pid, "SIGKILL");
    const deadline = Date.now() + 10_000;
    while (!(await loopbackPortIsFree(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await loopbackPortIsFree(port)).toBe(true);
  }

  /** Another program's HTTP server on the port, answering 200 to everything, as `python3 -m http.server` would. */
  async function occupy(port: number): Promise<void> {
    foreign = http.createServer((_req, res) => res.end("someone else's server"));
    await new Promise<void>((resolve, reject) => {
      foreign!.once("error", reject);
      foreign!.listen(port, "127.0.0.1", () => resolve());
    });
  }

  it("answers a challenge with a proof of the stack's key, never forwards it to the app, and drops identity headers the app sets", async () => {
    const { result } = await deploy();
    const port = new URL(result.url).port;
    const plain = await fetch(`${result.url}/headers`);
    expect(plain.headers.get(RELEASE_HEADER)).toBeNull();
    expect(plain.headers.get(PROOF_HEADER)).toBeNull();

    const challenge = "challenge-0123456789abcdef";
    const challenged = await fetch(`${result.url}/headers`, { headers: { [CHALLENGE_HEADER]: challenge } });
    const seenByApp = (await challenged.json()) as Record<string, string>;
    expect(Object.keys(seenByApp)).not.toContain(CHALLENGE_HEADER);
    const key = await readIdentityKey(localStateDir(result.stack), t.workspace.dir);
    expect(checkProof(key, challenge, port, challenged.headers)).toEqual({ proven: true, release: expect.stringMatching(/^r/) });
    // A proof answers one challenge only.
    expect(checkProof(key, "another-challenge-0123456789", port, challenged.headers)).toMatchObject({ proven: false });
    const keyFile = path.join(t.workspace.dir, localStateDir(result.stack), "identity.key");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });

  it("with the supervisor dead and another server on its port: the health check refuses it, status says so, deploy serves the stack's release again and says the URL moved", async () => {
    const { result: first, supervisor, releaseProcesses } = await deploy();
    const oldPort = Number(new URL(first.url).port);
    expect(releaseProcesses.length).toBeGreaterThan(0);
    await killSupervisor(supervisor, oldPort);
    await occupy(oldPort);

    // Any 2xx on the port would pass a plain health check; the identity check does not take it.
    const target = `${first.url}/`;
    expect(await waitForHealthy(target, { timeoutMs: 1_000 })).toMatchObject({ healthy: true });
    const checked = await waitForHealthy(target, { timeoutMs: 1_500, identity: identityFor({ stack: first.stack, target: "local" }, t.workspace.dir, null, target) });
    expect(checked).toMatchObject({ healthy: false, lastError: expect.stringContaining("did not prove it is this stack's supervisor") });

    // Nothing of the stack serves, so status exits 3: a script's `status ... && next` does not go on.
    const status = await cli("status", projectId, "development", "--json");
    expect(status.status, status.stderr).toBe(EXIT_CODES.notServing);
    expect(json(status).live).toMatchObject({ state: "foreign", checked_url: target });
    const human = await cli("status", projectId, "development");
    expect(human.stdout).toContain(`not serving: something else answers on ${target}`);
    expect(human.stdout).toContain("the stack's supervisor is not running");

    const run = await cli("deploy", request, "--json");
    expect(run.status, run.stderr).toBe(0);
    const repaired = json(run);
    expect(repaired).toMatchObject({ status: "success", url_changed_from: first.url });
    expect(repaired.url).not.toBe(first.url);
    expect(Object.keys(repaired.changes).length).toBeGreaterThan(0);
    expect(await (await fetch(repaired.url)).text()).toBe("identity-v1");
    expect(renderDeployResult(repaired).text).toContain(`the URL changed: it was ${first.url}`);
    // The releases the dead supervisor left behind were stopped; the other program's server was not touched.
    for (const pid of releaseProcesses) expect(await runs(pid), `release process ${pid}`).toBe(false);
    expect(await (await fetch(`http://127.0.0.1:${oldPort}/`)).text()).toBe("someone else's server");

    expect(json(await cli("status", projectId, "development", "--json")).live).toMatchObject({ state: "serving", checked_url: `${repaired.url}/` });
  });

  it("with the supervisor dead and nothing on its port: status says the release is down, and destroy leaves no process of the stack", async () => {
    const { result, supervisor, releaseProcesses } = await deploy();
    await killSupervisor(supervisor, Number(new URL(result.url).port));
    for (const pid of releaseProcesses) expect(await runs(pid)).toBe(true);

    const status = json(await cli("status", projectId, "development", "--json"));
    expect(status.live).toMatchObject({ state: "down", detail: expect.stringContaining("the stack's supervisor is not running") });

    const destroyed = await cli("destroy", projectId, "development", "--json");
    expect(destroyed.status, destroyed.stderr).toBe(0);
    for (const pid of [supervisor, ...releaseProcesses]) expect(await runs(pid), `process ${pid}`).toBe(false);
    const under = new Set(await processesUnder(t.root));
    const left = (await liveProcesses()).filter((row) => under.has(row.pid) && /server\.js|supervisor\.cjs/.test(row.args));
    expect(left.map((row) => `${row.pid} ${row.args}`)).toEqual([]);
  });

  it("sync calls a stack converged only while its release serves, and starts it again once its supervisor died", async () => {
    const { result, supervisor, releaseProcesses } = await deploy();
    const stack = result.stack as string;
    expect(await sync({ workspace: t.workspace, env: t.env, stack })).toEqual([{ stack, status: "unchanged" }]);
    await killSupervisor(supervisor, Number(new URL(result.url).port));

    expect(await sync({ workspace: t.workspace, env: t.env, stack, dryRun: true })).toEqual([{ stack, status: "would_deploy" }]);
    const [outcome] = await sync({ workspace: t.workspace, env: t.env, stack });
    // The port was free again, so the stack keeps its URL.
    expect(outcome).toMatchObject({ stack, status: "deployed", result: { url: result.url } });
    expect((outcome as unknown as { result: Record<string, unknown> }).result.url_changed_from).toBeUndefined();
    expect(await (await fetch(result.url)).text()).toBe("identity-v1");
    for (const pid of releaseProcesses) expect(await runs(pid), `release process ${pid}`).toBe(false);
  });
});
