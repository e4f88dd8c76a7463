import { createHash } from "node:crypto";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { providerEnv, providerSignal } from "../provider-environment";

/**
 * The one client of a stack's local supervisor (supervisor.cjs): where its control socket is, and a typed function per
 * route of its control protocol whose answer is checked before anyone reads it. Used by the local target's provider
 * (in the engine's provider process) and by its runtime (warm switches, canary watches, status).
 */

/** Environment variable naming the workspace that relative paths in the local target's inputs are relative to. */
export const WORKSPACE_DIR_ENV = "DEPLOYMENT_PLANNER_WORKSPACE";

/**
 * Resolves a path from a resource's inputs. The program records the stack's state directory and bundle relative to
 * the workspace, so the state holds no machine path; the automation layer names the workspace for every engine run,
 * and a `pulumi` command run by hand in the workspace resolves them against its working directory.
 */
export function workspacePath(recorded: string, workspaceDir?: string): string {
  return path.resolve(workspaceDir ?? (providerEnv()[WORKSPACE_DIR_ENV] || process.cwd()), recorded);
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

/** Where a command goes and how long it may take: the stack's state directory, relative to `workspaceDir`. */
export interface SupervisorTarget {
  readonly stateDir: string;
  readonly workspaceDir?: string;
}

/**
 * Sends one command over the control socket and parses the answer as JSON (unchecked). Every route has its own typed
 * function below, which checks the answer's shape: the supervisor runs as a separate process, possibly one started
 * by an earlier version of this product.
 */
function send(to: SupervisorTarget, method: string, urlPath: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: controlSocket(to.stateDir, to.workspaceDir),
        method,
        path: urlPath,
        headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
        timeout: timeoutMs,
        // A provider call the engine gave up on closes its connection: the supervisor then abandons what it started.
        signal: providerSignal(),
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
          } catch {
            reject(new Error(`the local supervisor answered ${method} ${urlPath} with something other than JSON`));
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

/** Sends a command and checks its answer: HTTP 200 and the route's shape, else an error naming the route. */
async function command<S extends z.ZodType>(to: SupervisorTarget, method: string, urlPath: string, schema: S, body: unknown, timeoutMs: number): Promise<z.infer<S>> {
  const answer = await send(to, method, urlPath, body, timeoutMs);
  if (answer.status !== 200) throw new Error(`the local supervisor refused ${method} ${urlPath} (HTTP ${answer.status})`);
  return parseAnswer(schema, answer.body, method, urlPath);
}

function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, method: string, urlPath: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`the local supervisor's answer to ${method} ${urlPath} is not understood: ${parsed.error.issues[0]?.message ?? "bad shape"}`);
  return parsed.data;
}

const releaseCountsSchema = z.object({ requests: z.number(), errors: z.number(), error_rate: z.number() });

/** A canary rollout as the supervisor reports it (supervisor-rollout.cjs `snapshot`). */
const rolloutStatusSchema = z.object({
  status: z.enum(["running", "held", "completed", "aborted"]),
  reason: z.string().nullable(),
  stable: z.string(),
  canary: z.string(),
  steps: z.array(z.number()),
  step: z.number(),
  weight: z.number(),
  step_interval_ms: z.number(),
  max_error_rate: z.number(),
  min_requests: z.number(),
  started_at: z.string(),
  step_started_at: z.string(),
  time_left_ms: z.number(),
  step_counts: z.object({ canary: releaseCountsSchema, stable: releaseCountsSchema }),
  total_counts: z.object({ canary: releaseCountsSchema, stable: releaseCountsSchema }),
  first_canary_error_at: z.string().nullable(),
  aborted_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});

const supervisedReleaseSchema = z.object({
  id: z.string(),
  pid: z.number(),
  port: z.number(),
  alive: z.boolean(),
  // Supervisors older than warm releases do not report it.
  warm: z.boolean().default(false),
});

const statusSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  active: z.string().nullable(),
  releases: z.array(supervisedReleaseSchema),
  // Supervisors older than canaries do not report it.
  rollout: rolloutStatusSchema.nullable().default(null),
});

/** Requests and failures of one release, as a rollout counts them. */
export type ReleaseCounts = z.infer<typeof releaseCountsSchema>;

/**
 * A local-target rollout as the stack's supervisor reports it. `status` `held`: its deployer went away; the weights
 * stay until the next operation on the stack aborts it. `step` is 1-based, `weight` the canary's share of the traffic
 * now in percent, `time_left_ms` the time until the last step has been observed if every step passes, `ended_at` when
 * it completed or aborted.
 */
export type RolloutStatus = z.infer<typeof rolloutStatusSchema>;

/** One release as the supervisor reports it; `warm`: replaced, and kept running so a rollback to it takes the traffic at once. */
export type SupervisedRelease = z.infer<typeof supervisedReleaseSchema>;

/** What a stack's supervisor reports about itself (`GET /status`), with its current or last canary rollout. */
export type SupervisorStatus = z.infer<typeof statusSchema>;

/** `GET /status`: the supervisor's status, or null when none answers (or its answer is not understood). */
export async function supervisorStatus(stateDir: string, workspaceDir?: string): Promise<SupervisorStatus | null> {
  try {
    return await command({ stateDir, workspaceDir }, "GET", "/status", statusSchema, undefined, 3000);
  } catch {
    return null;
  }
}

/** What `POST /releases` starts: a release's settings, its fingerprint, and how it takes the traffic. */
export interface StartReleaseRequest extends ReleaseSettings {
  readonly id: string;
  readonly fingerprint: string;
  /** Values the supervisor masks in the release's log. */
  readonly secretValues: readonly string[];
  readonly healthTimeoutMs: number;
  readonly rollout: { readonly steps: readonly number[]; readonly stepIntervalMs: number; readonly maxErrorRate: number; readonly minRequests: number } | null;
}

const startedSchema = z.object({ id: z.string(), port: z.number().int(), pid: z.number().int().positive() });
const startFailedSchema = z.object({ error: z.string().default("the release did not start"), logTail: z.string().default("") });

/** How `POST /releases` ended: the release serves, or it failed to start (its error and the last lines of its log). */
export type StartReleaseAnswer = ({ readonly started: true } & z.infer<typeof startedSchema>) | ({ readonly started: false } & z.infer<typeof startFailedSchema>);

/**
 * `POST /releases`: starts a release (or reuses a warm one with the same fingerprint) and resolves once it passed its
 * health check and took the traffic (at once, or after its canary rollout).
 */
export async function startRelease(stateDir: string, request: StartReleaseRequest, timeoutMs: number): Promise<StartReleaseAnswer> {
  const answer = await send({ stateDir }, "POST", "/releases", request, timeoutMs);
  if (answer.status === 200) return { started: true, ...parseAnswer(startedSchema, answer.body, "POST", "/releases") };
  const failed = startFailedSchema.safeParse(answer.body);
  return { started: false, ...(failed.success ? failed.data : { error: `the release did not start (HTTP ${answer.status})`, logTail: "" }) };
}

/** `POST /releases/:id/known`: some stack state records this release, so the supervisor must not stop it as unknown. */
export async function markReleaseKnown(stateDir: string, id: string): Promise<boolean> {
  return (await command({ stateDir }, "POST", `/releases/${encodeURIComponent(id)}/known`, z.object({ known: z.boolean() }), undefined, 5000)).known;
}

/**
 * `DELETE /releases/:id`: retires a release (kept warm, or stopped after its requests finished); the status after, or
 * null when the supervisor could not say (the release is gone from the state either way).
 */
export async function removeRelease(stateDir: string, id: string): Promise<SupervisorStatus | null> {
  const answer = await send({ stateDir }, "DELETE", `/releases/${encodeURIComponent(id)}`, undefined, 60_000);
  const parsed = statusSchema.safeParse(answer.body);
  return answer.status === 200 && parsed.success ? parsed.data : null;
}

/** `POST /rollout/abort`: the stable release takes all traffic back, the canary stops; whether one was running. */
export async function abortRollout(to: SupervisorTarget, reason: string): Promise<{ aborted: boolean; rollout: RolloutStatus | null }> {
  const schema = z.object({ aborted: z.boolean(), rollout: rolloutStatusSchema.nullable().default(null) });
  return command(to, "POST", "/rollout/abort", schema, { reason }, 5_000);
}

/** `POST /rollout/promote`: a running rollout completes now, the new release taking all traffic; whether one did. */
export async function promoteRollout(to: SupervisorTarget, reason: string): Promise<{ promoted: boolean; rollout: RolloutStatus | null }> {
  const schema = z.object({ promoted: z.boolean(), rollout: rolloutStatusSchema.nullable().default(null) });
  return command(to, "POST", "/rollout/promote", schema, { reason }, 5_000);
}

const switchedSchema = z.union([
  z.object({ switched: z.literal(true), id: z.string(), previous: z.string().nullable().default(null) }),
  z.object({ switched: z.literal(false), reason: z.string().optional() }),
]);

/** What `POST /switch` did: moved the traffic to the warm release `id` from `previous`, or why it did not. */
export type WarmSwitchAnswer = z.infer<typeof switchedSchema>;

/** `POST /switch`: traffic to the warm release running the settings with this fingerprint, once it passes its health check. */
export async function switchToWarm(to: SupervisorTarget, fingerprint: string, healthPath: string): Promise<WarmSwitchAnswer> {
  return command(to, "POST", "/switch", switchedSchema, { fingerprint, healthPath }, 5_000);
}

/** `POST /switch-back`: undoes a switch to the warm release `id`; traffic back on `previous`. Whether it moved. */
export async function switchBack(to: SupervisorTarget, id: string, previous: string): Promise<boolean> {
  return (await command(to, "POST", "/switch-back", z.object({ switched: z.boolean() }), { id, previous }, 5_000)).switched;
}

/** `POST /shutdown`: the supervisor stops its releases and exits (answering before it does). */
export async function shutdownCommand(stateDir: string): Promise<void> {
  await command({ stateDir }, "POST", "/shutdown", z.object({ stopping: z.boolean() }), undefined, 60_000);
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
