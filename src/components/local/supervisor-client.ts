import { createHash } from "node:crypto";
import http from "node:http";
import os from "node:os";
import path from "node:path";

/**
 * Talking to a stack's local supervisor: where its control socket is and how to send it a command. Shared by the
 * local target's provider (in the engine's provider process) and the automation layer (which switches traffic to a
 * warm release ahead of a rollback's engine update).
 */

/** Environment variable naming the workspace that relative paths in the local target's inputs are relative to. */
export const WORKSPACE_DIR_ENV = "DEPLOYMENT_PLANNER_WORKSPACE";

/**
 * Resolves a path from a resource's inputs. The program records the stack's state directory and bundle relative to
 * the workspace, so the state holds no machine path; the automation layer names the workspace for every engine run,
 * and a `pulumi` command run by hand in the workspace resolves them against its working directory.
 */
export function workspacePath(recorded: string, workspaceDir?: string): string {
  return path.resolve(workspaceDir ?? (process.env[WORKSPACE_DIR_ENV] || process.cwd()), recorded);
}

/** Marker that starts the message of a failed health check (the automation layer maps it to stage `verify`). */
export const HEALTH_CHECK_MARKER = "health check failed:";

/** Environment variable: how many replaced releases a stack's supervisor keeps running for an instant rollback. */
export const WARM_RELEASES_ENV = "DEPLOYMENT_PLANNER_WARM_RELEASES";

/** Longest Unix socket path Linux accepts: `sun_path` holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * The supervisor's control socket: in the stack's state directory, or, when that path is too long for a Unix socket
 * (a deep workspace), in a private directory under the temp dir, named by the state directory so every later
 * operation finds the same socket. `stateDir` is absolute, or relative to the workspace.
 */
export function controlSocket(stateDir: string, workspaceDir?: string): string {
  const dir = workspacePath(stateDir, workspaceDir);
  const inside = path.join(dir, "control.sock");
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH_BYTES) return inside;
  const owner = typeof process.getuid === "function" ? process.getuid() : "user";
  return path.join(os.tmpdir(), `deployment-planner-${owner}`, `${createHash("sha256").update(dir).digest("hex").slice(0, 32)}.sock`);
}

/** Sends one command to a stack's supervisor over its control socket. */
export function callSupervisor<T>(
  stateDir: string,
  method: string,
  urlPath: string,
  body?: unknown,
  timeoutMs = 60_000,
  workspaceDir?: string,
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: controlSocket(stateDir, workspaceDir),
        method,
        path: urlPath,
        headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
        timeout: timeoutMs,
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`the local supervisor did not answer ${method} ${urlPath}`)));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** One release as the supervisor reports it. */
export interface SupervisedRelease {
  readonly id: string;
  readonly pid: number;
  readonly port: number;
  readonly alive: boolean;
  /** Replaced, and kept running so a rollback to it can take the traffic at once. */
  readonly warm: boolean;
}

/** What a stack's supervisor reports about itself. */
export interface SupervisorStatus {
  readonly pid: number;
  readonly port: number;
  readonly active: string | null;
  readonly releases: readonly SupervisedRelease[];
}

/** The supervisor's status, or null when none answers. */
export async function supervisorStatus(stateDir: string, workspaceDir?: string): Promise<SupervisorStatus | null> {
  try {
    const answer = await callSupervisor<SupervisorStatus>(stateDir, "GET", "/status", undefined, 3000, workspaceDir);
    return answer.status === 200 ? answer.body : null;
  } catch {
    return null;
  }
}

/** What decides how a release runs; two releases with the same settings serve the same thing. */
export interface ReleaseSettings {
  /** Absolute directory the release runs in. */
  readonly cwd: string;
  readonly command: string | null;
  readonly healthPath: string;
  /** Every variable of the release's environment, secret values included. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A one-way digest of a release's settings. The supervisor keeps it in memory for every release (never in a file or
 * its status), so a warm release that runs exactly what an update asks for can be reused.
 */
export function releaseFingerprint(settings: ReleaseSettings): string {
  const env = Object.fromEntries(Object.keys(settings.env).sort().map((key) => [key, settings.env[key]]));
  const canonical = JSON.stringify({ cwd: settings.cwd, command: settings.command, healthPath: settings.healthPath, env });
  return createHash("sha256").update(canonical).digest("hex");
}
