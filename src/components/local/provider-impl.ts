import { freeLoopbackPort, loopbackPortIsFree } from "../../ports";
import { exitWhenEngineGone } from "../engine-watchdog";
import { proveSupervisor } from "./release-proof";
import {
  controlSocket,
  HEALTH_CHECK_MARKER,
  markReleaseKnown,
  releaseFingerprint,
  removeRelease,
  startRelease,
  supervisorStatus,
  WARM_RELEASES_ENV,
  workspacePath,
  type SupervisorStatus,
} from "./supervisor-client";
import { finishDeadSupervisor, shutdownSupervisor, stopRecordedReleases } from "./supervisor-shutdown";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { providerEnv } from "../provider-environment";

// Loaded only in the provider process the engine starts: it must not outlive that engine.
exitWhenEngineGone();

/**
 * The local target's provider logic, loaded by the dynamic providers at run time. An endpoint is a per-stack
 * supervisor process on a stable port; a release is one version of the app run under it.
 */

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

export { WORKSPACE_DIR_ENV, controlSocket, workspacePath } from "./supervisor-client";

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
  const setting = providerEnv()[WARM_RELEASES_ENV];
  const configured = Number(setting);
  return Number.isInteger(configured) && configured >= 0 && setting !== "" ? Math.min(configured, 10) : 2;
}

/**
 * The stack's supervisor when it runs and answers on its port as itself (and on `port`, when given); null when it is
 * dead, or something else answers there (another process took the port).
 */
async function servingSupervisor(stateDir: string, port?: number): Promise<SupervisorStatus | null> {
  const status = await supervisorStatus(stateDir);
  if (!status || (port !== undefined && status.port !== port)) return null;
  return (await proveSupervisor(stateDir, status.port)).proven ? status : null;
}

/**
 * Starts the stack's supervisor (or adopts a live one that proves itself on its port) and returns its stable URL.
 * Whatever a dead supervisor left running is stopped first.
 */
export async function createEndpoint(inputs: EndpointInputs): Promise<{ id: string; outs: EndpointOutputs }> {
  const stateDir = workspacePath(inputs.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const live = await supervisorStatus(inputs.stateDir);
  if (live && (await proveSupervisor(inputs.stateDir, live.port)).proven) {
    const url = `http://127.0.0.1:${live.port}`;
    return { id: inputs.stack, outs: { ...inputs, port: live.port, url } };
  }
  // A supervisor that answers its socket but not its port (an older one, without a proof of identity) is replaced.
  if (live) await shutdownSupervisor(inputs.stateDir, live.pid);
  else await finishDeadSupervisor(stateDir);
  await stopRecordedReleases(stateDir);
  const port = await stablePort(inputs.stateDir);
  const logFd = openSync(path.join(stateDir, "supervisor.log"), "a", 0o600);
  try {
    // Detached with its own session and no pipes to us, so it keeps serving after the CLI exits.
    const env = providerEnv();
    const args = [SUPERVISOR, `--state-dir=${stateDir}`, `--port=${port}`, `--control-socket=${controlSocket(inputs.stateDir)}`, `--warm=${warmReleaseCount()}`];
    const child = spawn(process.execPath, args, {
      cwd: stateDir,
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: { PATH: env.PATH ?? "", HOME: env.HOME ?? "", LANG: env.LANG ?? "C.UTF-8" },
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + 15_000;
  // A supervisor answers its socket within a Node.js start: ask soon, then back off to every 100 ms.
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 100)) {
    const status = await supervisorStatus(inputs.stateDir);
    if (status) return { id: inputs.stack, outs: { ...inputs, port, url: `http://127.0.0.1:${port}` } };
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const log = existsSync(path.join(stateDir, "supervisor.log"))
    ? readFileSync(path.join(stateDir, "supervisor.log"), "utf8").trim().split("\n").slice(-5).join("\n")
    : "";
  // One line, so the engine's error output (and the caller's reason) keeps the cause.
  throw new Error(`the local supervisor for ${inputs.stack} did not start on port ${port}${log ? `: ${log.split("\n").join(" | ")}` : ""}`);
}

/**
 * Reports the endpoint gone when its supervisor no longer answers, or something else answers on its port, so
 * `refresh` drops it and `up` starts it again.
 */
export async function readEndpoint(id: string, props: EndpointOutputs): Promise<{ id?: string; props?: EndpointOutputs }> {
  const status = await servingSupervisor(props.stateDir);
  if (!status) return {};
  return { id, props: { ...props, port: status.port, url: `http://127.0.0.1:${status.port}` } };
}

/**
 * Stops the supervisor, every release under it, and frees the port; a supervisor that died is waited for (or killed)
 * as its records name it, and the releases it left running are stopped.
 */
export async function deleteEndpoint(_id: string, props: EndpointOutputs): Promise<void> {
  const stateDir = workspacePath(props.stateDir);
  const status = await supervisorStatus(props.stateDir);
  if (status) await shutdownSupervisor(props.stateDir, status.pid);
  else await finishDeadSupervisor(stateDir);
  await stopRecordedReleases(stateDir);
}

/** Starts a release under the endpoint; resolves once it passed its health check and takes the traffic. */
export async function createRelease(inputs: ReleaseInputs): Promise<{ id: string; outs: ReleaseOutputs }> {
  const releaseId = `r${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
  const settings = { cwd: workspacePath(inputs.cwd), command: inputs.command, healthPath: inputs.healthPath, env: { ...inputs.env, ...inputs.secretEnv } };
  const answer = await startRelease(
    inputs.stateDir,
    {
      id: releaseId,
      ...settings,
      // A warm release with the same fingerprint (a rollback, or a redeploy of a recent version) serves at once.
      fingerprint: releaseFingerprint(settings),
      secretValues: Object.values(inputs.secretEnv),
      healthTimeoutMs: 30_000,
      rollout: inputs.rollout ?? null,
    },
    90_000 + rolloutBudgetMs(inputs.rollout),
  );
  if (!answer.started) {
    // One line, so the engine's error output keeps it whole.
    const logTail = answer.logTail ? `; last log lines: ${answer.logTail.split("\n").join(" | ")}` : "";
    throw new Error(`${HEALTH_CHECK_MARKER} ${answer.error}${logTail}`);
  }
  return { id: releaseId, outs: { ...inputs, releaseId, pid: answer.pid } };
}

/** A change of the rollout policy alone needs no new release: it applies to the next one. */
export async function updateRelease(_id: string, olds: ReleaseOutputs, news: ReleaseInputs): Promise<{ outs: ReleaseOutputs }> {
  return { outs: { ...news, releaseId: olds.releaseId, pid: olds.pid } };
}

/** Whether the stack's supervisor runs this release. */
async function releaseRuns(stateDir: string, id: string): Promise<boolean> {
  const status = await supervisorStatus(stateDir);
  return status?.releases.some((r) => r.id === id && r.alive) === true;
}

/** Reports the release gone when its process is no longer running. */
export async function readRelease(id: string, props: ReleaseOutputs): Promise<{ id?: string; props?: ReleaseOutputs }> {
  return (await releaseRuns(props.stateDir, id)) ? { id, props } : {};
}

/** Stops a release after the requests it is serving have finished. */
export async function deleteRelease(id: string, props: ReleaseOutputs): Promise<void> {
  if (!(await supervisorStatus(props.stateDir))) return;
  await removeRelease(props.stateDir, id);
}

/**
 * Any change to what runs, or where, replaces the release (the new one starts before the old one stops), and so does
 * a release that no longer runs (it exited, or its supervisor died): an update never reports "no changes" over it.
 * The engine diffs every release its state records, so the supervisor is told this one is known: once a new release
 * serves, the supervisor stops the releases no state knows (started by an update that was killed before recording them).
 */
export async function diffRelease(id: string, olds: ReleaseOutputs, news: ReleaseInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  // Best effort: with no supervisor running there is nothing to protect, and an older supervisor lacks the command.
  await markReleaseKnown(olds.stateDir, id).catch(() => undefined);
  const keys: (keyof ReleaseInputs)[] = ["stateDir", "cwd", "digest", "command", "healthPath", "env", "secretEnv", "endpointUrl"];
  const replaces: string[] = keys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
  if (replaces.length === 0 && !(await releaseRuns(olds.stateDir, id))) replaces.push("pid");
  const rolloutChanged = JSON.stringify(olds.rollout ?? null) !== JSON.stringify(news.rollout ?? null);
  return { changes: replaces.length > 0 || rolloutChanged, replaces, deleteBeforeReplace: false };
}

/**
 * An endpoint moves when its stack or state directory does, and is started again when its supervisor died or no
 * longer answers on its port as itself (another process took the port): the update repairs it instead of reporting
 * "no changes" over a URL that serves something else.
 */
export async function diffEndpoint(_id: string, olds: EndpointOutputs, news: EndpointInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const replaces: string[] = (["stack", "stateDir"] as const).filter((key) => olds[key] !== news[key]);
  if (replaces.length === 0 && !(await servingSupervisor(olds.stateDir, olds.port))) replaces.push("port");
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
}
