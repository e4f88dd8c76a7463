import { freeLoopbackPort, loopbackPortIsFree } from "../../ports";
import { exitWhenEngineGone } from "../engine-watchdog";
import { callSupervisor, controlSocket, releaseFingerprint, supervisorStatus, WARM_RELEASES_ENV, workspacePath } from "./supervisor-client";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

// Loaded only in the provider process the engine starts: it must not outlive that engine.
exitWhenEngineGone();

/**
 * The local target's provider logic, loaded by the dynamic providers at run time. An endpoint is a per-stack
 * supervisor process on a stable port; a release is one version of the app run under it.
 */

/** Marker that starts the message of a failed health check (the automation layer maps it to stage `verify`). */
export const HEALTH_CHECK_MARKER = "health check failed:";

/** Inputs of an endpoint. */
export interface EndpointInputs {
  readonly stack: string;
  /** Directory of the stack's local-target state (port, control socket, logs). */
  readonly stateDir: string;
}

/** Outputs of an endpoint. */
export interface EndpointOutputs extends EndpointInputs {
  readonly port: number;
  readonly url: string;
}

/** Inputs of a release. */
export interface ReleaseInputs {
  readonly stateDir: string;
  /** Directory the release runs in (the unpacked bundle). */
  readonly cwd: string;
  readonly digest: string;
  /** Start command run by `/bin/sh -c`; null serves `cwd` as a static site. */
  readonly command: string | null;
  readonly healthPath: string;
  readonly env: Record<string, string>;
  /** Secret variables; Pulumi keeps them encrypted in state, the provider hands them to the app in memory only. */
  readonly secretEnv: Record<string, string>;
  /** The endpoint's URL, so a release depends on its endpoint. */
  readonly endpointUrl: string;
  /** How the release takes the traffic from the one it replaces: at once (null) or as a canary in steps. */
  readonly rollout?: CanaryRollout | null;
}

/** A canary rollout's steps and gates, as the supervisor runs them. */
export interface CanaryRollout {
  /** Percentages of traffic, increasing, ending at 100. */
  readonly steps: readonly number[];
  readonly stepIntervalMs: number;
  readonly maxErrorRate: number;
  readonly minRequests: number;
}

/** How long the supervisor may take over a canary: every step observed, plus time for slow request counts. */
function rolloutBudgetMs(rollout: CanaryRollout | null | undefined): number {
  return rollout ? rollout.steps.length * (rollout.stepIntervalMs + 120_000) : 0;
}

/** Outputs of a release. */
export interface ReleaseOutputs extends ReleaseInputs {
  readonly releaseId: string;
  readonly pid: number;
}

const SUPERVISOR = path.join(__dirname, "supervisor.cjs");

export { WORKSPACE_DIR_ENV, controlSocket, callSupervisor, workspacePath } from "./supervisor-client";

/** The stack's port: the one it had before when that port is free again, else a new one, remembered for next time. */
async function stablePort(stateDir: string): Promise<number> {
  const file = path.join(workspacePath(stateDir), "port");
  if (existsSync(file)) {
    const previous = Number(readFileSync(file, "utf8").trim());
    if (Number.isInteger(previous) && previous > 0 && (await loopbackPortIsFree(previous))) return previous;
  }
  const port = await freeLoopbackPort();
  writeFileSync(file, String(port));
  return port;
}

function warmReleaseCount(): number {
  const configured = Number(process.env[WARM_RELEASES_ENV]);
  return Number.isInteger(configured) && configured >= 0 && process.env[WARM_RELEASES_ENV] !== "" ? Math.min(configured, 10) : 2;
}

/** Starts the stack's supervisor (or adopts a live one) and returns its stable URL. */
export async function createEndpoint(inputs: EndpointInputs): Promise<{ id: string; outs: EndpointOutputs }> {
  const stateDir = workspacePath(inputs.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const live = await supervisorStatus(inputs.stateDir);
  if (live) {
    const url = `http://127.0.0.1:${live.port}`;
    return { id: inputs.stack, outs: { ...inputs, port: live.port, url } };
  }
  const port = await stablePort(inputs.stateDir);
  const logFd = openSync(path.join(stateDir, "supervisor.log"), "a", 0o600);
  try {
    // Detached with its own session and no pipes to us, so it keeps serving after the CLI exits.
    const args = [SUPERVISOR, `--state-dir=${stateDir}`, `--port=${port}`, `--control-socket=${controlSocket(inputs.stateDir)}`, `--warm=${warmReleaseCount()}`];
    const child = spawn(process.execPath, args, {
      cwd: stateDir,
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LANG: process.env.LANG ?? "C.UTF-8" },
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const status = await supervisorStatus(inputs.stateDir);
    if (status) return { id: inputs.stack, outs: { ...inputs, port, url: `http://127.0.0.1:${port}` } };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = existsSync(path.join(stateDir, "supervisor.log"))
    ? readFileSync(path.join(stateDir, "supervisor.log"), "utf8").trim().split("\n").slice(-5).join("\n")
    : "";
  // One line, so the engine's error output (and the caller's reason) keeps the cause.
  throw new Error(`the local supervisor for ${inputs.stack} did not start on port ${port}${log ? `: ${log.split("\n").join(" | ")}` : ""}`);
}

/** Reports the endpoint gone when its supervisor no longer answers, so `refresh` drops it and `up` starts it again. */
export async function readEndpoint(id: string, props: EndpointOutputs): Promise<{ id?: string; props?: EndpointOutputs }> {
  const status = await supervisorStatus(props.stateDir);
  if (!status) return {};
  return { id, props: { ...props, port: status.port, url: `http://127.0.0.1:${status.port}` } };
}

/** Stops the supervisor, every release under it, and frees the port. */
export async function deleteEndpoint(_id: string, props: EndpointOutputs): Promise<void> {
  const status = await supervisorStatus(props.stateDir);
  if (!status) return finishShutdown(props);
  await callSupervisor(props.stateDir, "POST", "/shutdown").catch(() => undefined);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await supervisorStatus(props.stateDir)) === null && (await loopbackPortIsFree(status.port))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    process.kill(status.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * A supervisor that no longer answers may still be shutting down (a destroy killed after it asked the supervisor to
 * stop, while requests drain): the port is free only once it exits. Waits for that, and stops the stack's own
 * supervisor process (named in its state directory) if it does not exit in time.
 */
async function finishShutdown(props: EndpointOutputs): Promise<void> {
  if (!props.port) return;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await loopbackPortIsFree(props.port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stateDir = workspacePath(props.stateDir);
  try {
    const pid = Number(readFileSync(path.join(stateDir, "supervisor.pid"), "utf8").trim());
    // Only this stack's supervisor: a recorded pid may since belong to another program.
    const command = execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8", timeout: 5_000 });
    if (Number.isInteger(pid) && pid > 1 && command.includes("supervisor.cjs") && command.includes(stateDir)) process.kill(pid, "SIGKILL");
  } catch {
    // No record, or the process is already gone.
  }
}

/** Starts a release under the endpoint; resolves once it passed its health check and takes the traffic. */
export async function createRelease(inputs: ReleaseInputs): Promise<{ id: string; outs: ReleaseOutputs }> {
  const releaseId = `r${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
  const settings = { cwd: workspacePath(inputs.cwd), command: inputs.command, healthPath: inputs.healthPath, env: { ...inputs.env, ...inputs.secretEnv } };
  const answer = await callSupervisor<{ pid?: number; error?: string; logTail?: string }>(
    inputs.stateDir,
    "POST",
    "/releases",
    {
      id: releaseId,
      ...settings,
      // A warm release with the same fingerprint (a rollback, or a redeploy of a recent version) serves at once.
      fingerprint: releaseFingerprint(settings),
      secretValues: Object.values(inputs.secretEnv),
      healthPath: inputs.healthPath,
      healthTimeoutMs: 30_000,
      rollout: inputs.rollout ?? null,
    },
    90_000 + rolloutBudgetMs(inputs.rollout),
  );
  if (answer.status !== 200 || !answer.body.pid) {
    // One line, so the engine's error output keeps it whole.
    const logTail = answer.body.logTail ? `; last log lines: ${answer.body.logTail.split("\n").join(" | ")}` : "";
    throw new Error(`${HEALTH_CHECK_MARKER} ${answer.body.error ?? "the release did not start"}${logTail}`);
  }
  return { id: releaseId, outs: { ...inputs, releaseId, pid: answer.body.pid } };
}

/** A change of the rollout policy alone needs no new release: it applies to the next one. */
export async function updateRelease(_id: string, olds: ReleaseOutputs, news: ReleaseInputs): Promise<{ outs: ReleaseOutputs }> {
  return { outs: { ...news, releaseId: olds.releaseId, pid: olds.pid } };
}

/** Reports the release gone when its process is no longer running. */
export async function readRelease(id: string, props: ReleaseOutputs): Promise<{ id?: string; props?: ReleaseOutputs }> {
  const status = await supervisorStatus(props.stateDir);
  const release = status?.releases.find((r) => r.id === id);
  if (!release || !release.alive) return {};
  return { id, props };
}

/** Stops a release after the requests it is serving have finished. */
export async function deleteRelease(id: string, props: ReleaseOutputs): Promise<void> {
  if (!(await supervisorStatus(props.stateDir))) return;
  await callSupervisor(props.stateDir, "DELETE", `/releases/${id}`);
}

/**
 * Any change to what runs, or where, replaces the release (the new one starts before the old one stops). The engine
 * diffs every release its state records, so the supervisor is told this one is known: once a new release serves, the
 * supervisor stops the releases no state knows (started by an update that was killed before recording them).
 */
export async function diffRelease(id: string, olds: ReleaseOutputs, news: ReleaseInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  // Best effort: with no supervisor running there is nothing to protect, and an older supervisor lacks the command.
  await callSupervisor(olds.stateDir, "POST", `/releases/${encodeURIComponent(id)}/known`, undefined, 5000).catch(() => undefined);
  const keys: (keyof ReleaseInputs)[] = ["stateDir", "cwd", "digest", "command", "healthPath", "env", "secretEnv", "endpointUrl"];
  const replaces = keys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
  const rolloutChanged = JSON.stringify(olds.rollout ?? null) !== JSON.stringify(news.rollout ?? null);
  return { changes: replaces.length > 0 || rolloutChanged, replaces, deleteBeforeReplace: false };
}

/** An endpoint only moves when its stack or state directory does. */
export function diffEndpoint(_id: string, olds: EndpointOutputs, news: EndpointInputs): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces = (["stack", "stateDir"] as const).filter((key) => olds[key] !== news[key]);
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
}
