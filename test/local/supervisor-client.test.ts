import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  abortRollout,
  controlSocket,
  markReleaseKnown,
  releaseFingerprint,
  removeRelease,
  shutdownCommand,
  startRelease,
  supervisorStatus,
  switchBack,
  switchToWarm,
} from "../../src/components/local/supervisor-client";
import { freeLoopbackPort } from "../../src/ports";

const SUPERVISOR = path.resolve(__dirname, "..", "..", "dist", "components", "local", "supervisor.cjs");

/** Waits until `check` holds, for up to `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the supervisor's client against a real supervisor (compiled package)", () => {
  let root: string;
  let stateDir: string;
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-supervisor-client-"));
    stateDir = path.join(root, "state");
    port = await freeLoopbackPort();
    child = spawn(process.execPath, [SUPERVISOR, `--state-dir=${stateDir}`, `--port=${port}`, `--control-socket=${controlSocket(stateDir)}`, "--warm=1"], {
      stdio: "ignore",
      env: { PATH: process.env.PATH ?? "" },
    });
    await until(async () => (await supervisorStatus(stateDir)) !== null, 15_000);
  });

  afterAll(async () => {
    await shutdownCommand(stateDir).catch(() => undefined);
    await until(async () => child.exitCode !== null || child.signalCode !== null, 15_000).catch(() => child.kill("SIGKILL"));
    await rm(root, { recursive: true, force: true });
  });

  it("types every route's answer: status, start, known, switch, switch back, abort, remove", async () => {
    const before = await supervisorStatus(stateDir);
    expect(before).toMatchObject({ port, active: null, releases: [], rollout: null });

    const secret = "s3cr3t?>~long-value";
    const settings = {
      cwd: root,
      command: `echo "token ${"$"}API_TOKEN as base64url $(printf %s "${"$"}API_TOKEN" | base64 | tr '+/' '-_' | tr -d '='), pin PIN=${"$"}PIN"; exec node -e "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT, '127.0.0.1')"`,
      healthPath: "/",
      env: { API_TOKEN: secret, PIN: "123" },
    };
    const started = await startRelease(
      stateDir,
      { id: "r1", ...settings, fingerprint: releaseFingerprint(settings), secretValues: [secret, "123"], healthTimeoutMs: 10_000, rollout: null },
      30_000,
    );
    expect(started).toMatchObject({ started: true, id: "r1" });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
    expect(await markReleaseKnown(stateDir, "r1")).toBe(true);
    expect(await markReleaseKnown(stateDir, "nope")).toBe(false);

    const status = await supervisorStatus(stateDir);
    expect(status?.active).toBe("r1");
    expect(status?.releases).toEqual([expect.objectContaining({ id: "r1", alive: true, warm: false })]);

    // The release's log is masked by the product's own masker: the value, its base64url form and a short value alone.
    const log = await readFile(path.join(stateDir, "logs", "r1.log"), "utf8");
    expect(log).toContain("token [secret] as base64url [secret], pin PIN=[secret]");
    expect(log).not.toContain(secret);

    // Nothing to switch to, nothing to switch back from, no rollout to abort.
    expect(await switchToWarm({ stateDir }, "0".repeat(64), "/")).toEqual({ switched: false, reason: "no warm release runs these settings" });
    expect(await switchBack({ stateDir }, "r1", "r0")).toBe(false);
    expect(await abortRollout({ stateDir }, "testing")).toEqual({ aborted: false, rollout: null });

    const failed = await startRelease(
      stateDir,
      { id: "r2", cwd: root, command: "echo about to fail; exit 4", healthPath: "/", env: {}, fingerprint: "f", secretValues: [], healthTimeoutMs: 5_000, rollout: null },
      30_000,
    );
    expect(failed).toMatchObject({ started: false, error: expect.stringContaining("exited with code 4"), logTail: expect.stringContaining("about to fail") });

    const after = await removeRelease(stateDir, "r1");
    expect(after?.releases.find((r) => r.id === "r1")).toBeUndefined();
  });
});

describe("the supervisor's client against an impostor on the control socket", () => {
  let root: string;
  let server: http.Server;
  let answer: unknown = {};

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-supervisor-impostor-"));
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(typeof answer === "string" ? answer : JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(controlSocket(root), resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it("reads no status from an answer of the wrong shape, and refuses a command's", async () => {
    answer = { pid: "1", port: 80, active: null, releases: [] };
    expect(await supervisorStatus(root)).toBeNull();
    answer = "not json";
    expect(await supervisorStatus(root)).toBeNull();
    answer = { switched: true, previous: null };
    await expect(switchToWarm({ stateDir: root }, "f", "/")).rejects.toThrow(/POST \/switch is not understood/);
    answer = { pid: 5, port: 80, active: "r1", releases: [{ id: "r1", pid: 6, port: 81, alive: true }] };
    // An older supervisor reports neither warm releases nor rollouts: both read as none.
    expect(await supervisorStatus(root)).toEqual({ pid: 5, port: 80, active: "r1", releases: [{ id: "r1", pid: 6, port: 81, alive: true, warm: false }], rollout: null });
  });
});
