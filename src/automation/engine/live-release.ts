import type { IdentityProbe } from "../../components/release-identity";
import { TARGET_RUNTIMES } from "../../components/runtimes";
import type { StackSpec } from "../../planner/spec";
import { readStackSpec, PROJECT_NAME, type PlannerWorkspace } from "../workspace/index";
import { stackOutputs } from "./stack-queries";
import { healthUrl } from "./health-check";

/** What answers a stack's URL right now, checked with one request to its health check path. */
export interface LiveRelease {
  /**
   * - `serving`: the stack's release answered its health check and proved it (as far as the target can prove);
   * - `down`: nothing answers, or the stack's own server answers but runs no release;
   * - `foreign`: something answers that cannot prove it is the stack's (another process took the port);
   * - `other_release`: the stack's server answers with a release the state does not record;
   * - `unhealthy`: the stack's release answers its health check with an error.
   */
  readonly state: "serving" | "down" | "foreign" | "other_release" | "unhealthy";
  /** The release that answered, where the target names it. */
  readonly release: string | null;
  /** The release the stack's state records as serving, where the target names it. */
  readonly recorded_release: string | null;
  /** The URL requested. */
  readonly checked_url: string;
  /** One sentence for people. */
  readonly detail: string;
  /** What the check could prove on this target (its runtime's `identity`). */
  readonly proves: "release" | "platform" | "nothing";
}

/** How long the live check waits for an answer. */
const LIVE_CHECK_TIMEOUT_MS = 3_000;

/**
 * A fresh identity exchange per request to `url` on the spec's target, expecting `expectedRelease`; `outputs` are the
 * stack's outputs, whose `releaseProof` says what a cloud target's proof asks its platform about.
 */
export function identityFor(
  spec: Pick<StackSpec, "stack" | "target">,
  workspaceDir: string,
  expectedRelease: string | null,
  url: string,
  outputs: Readonly<Record<string, unknown>> = {},
): () => Promise<IdentityProbe> {
  const proof = outputs.releaseProof !== null && typeof outputs.releaseProof === "object" ? (outputs.releaseProof as Record<string, unknown>) : {};
  return () => TARGET_RUNTIMES[spec.target].identity.probe({ stack: spec.stack, workspaceDir, expectedRelease, proof }, url);
}

/** The stack's recorded outputs (the stack resource's, from the checkpoint; through the engine for other backends). */
export async function recordedOutputs(workspace: PlannerWorkspace, stack: string): Promise<Record<string, unknown>> {
  const reader = workspace.stateBackend.reader;
  if (reader === null) return stackOutputs(stack, { workspace }).catch(() => ({}));
  const text = await reader.read("stacks", PROJECT_NAME, `${stack}.json`);
  try {
    const checkpoint = JSON.parse(text ?? "{}") as { checkpoint?: { latest?: { resources?: { type: string; outputs?: Record<string, unknown> }[] } } };
    return checkpoint.checkpoint?.latest?.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack")?.outputs ?? {};
  } catch {
    // A checkpoint this reader cannot parse (compressed) is read through the engine.
    return stackOutputs(stack, { workspace }).catch(() => ({}));
  }
}

/**
 * Checks what answers a stack's URL: one request to its health check path, with the target's identity exchange.
 * Null when the stack has no stack file or no URL (never deployed, or destroyed).
 */
export async function checkLiveRelease(workspace: PlannerWorkspace, stack: string): Promise<LiveRelease | null> {
  const spec = await readStackSpec(workspace.stacksDir, stack).catch(() => null);
  if (!spec) return null;
  const outputs = await recordedOutputs(workspace, stack);
  const url = typeof outputs.url === "string" && outputs.url ? outputs.url : null;
  if (url === null) return null;
  const recorded = typeof outputs.release === "string" ? outputs.release : null;
  const target = healthUrl(url, spec.build.health_check_path);
  const identity = TARGET_RUNTIMES[spec.target].identity;
  const proves = identity.proves;
  const result = (state: LiveRelease["state"], release: string | null, detail: string): LiveRelease => ({ state, release, recorded_release: recorded, checked_url: target, detail, proves });
  const probe = await identityFor(spec, workspace.dir, recorded, target, outputs)();
  let response: Response;
  try {
    response = await fetch(target, { headers: probe.headers, redirect: "manual", signal: AbortSignal.timeout(LIVE_CHECK_TIMEOUT_MS) });
    await response.arrayBuffer();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return result("down", null, `nothing answers on ${target} (${cause})${await notServingNote(workspace, spec, target)}`);
  }
  const verdict = probe.check(response);
  if (verdict.kind === "unproven") return result("foreign", null, `something else answers on ${target}: ${verdict.reason}${await notServingNote(workspace, spec, target)}`);
  if (verdict.kind === "other_release") return result(verdict.release === null ? "down" : "other_release", verdict.release, verdict.reason);
  if (response.status < 200 || response.status >= 400) return result("unhealthy", verdict.release, `${target} answered HTTP ${response.status}`);
  const who = verdict.release ? `release ${verdict.release}` : "the stack";
  const how = identity.provedBy ?? identity.method;
  return result("serving", verdict.release, `${who} answers ${target} with HTTP ${response.status} (${how})`);
}

/**
 * What the target's runtime knows about why the URL does not answer as the stack's (the local target: its supervisor
 * is not running, or runs without a proof of identity); "" when it knows nothing more.
 */
async function notServingNote(workspace: PlannerWorkspace, spec: StackSpec, url: string): Promise<string> {
  return (await TARGET_RUNTIMES[spec.target].notServingNote?.(workspace.dir, spec.stack, url).catch(() => "")) ?? "";
}

/**
 * Why a stack whose spec is converged still needs an update: on a target whose URL proves which release answers, the
 * recorded release does not serve (its supervisor died, another program took its port, the release stopped). Null
 * when it serves, or when the target cannot tell.
 */
export async function releaseDrift(workspace: PlannerWorkspace, spec: Pick<StackSpec, "stack" | "target">): Promise<string | null> {
  if (TARGET_RUNTIMES[spec.target].identity.proves !== "release") return null;
  const live = await checkLiveRelease(workspace, spec.stack).catch(() => null);
  return live === null || live.state === "serving" ? null : describeLiveRelease(live);
}

/** One line for people: whether the stack's release serves, and what answers instead when it does not. */
export function describeLiveRelease(live: LiveRelease): string {
  if (live.state === "serving") return `serving: ${live.detail}`;
  const label = { down: "down", foreign: "not serving", other_release: "not the recorded release", unhealthy: "unhealthy" }[live.state];
  return `${label}: ${live.detail}`;
}
