import { localBundlePath, localHealthPath, localStartCommand, localStateDir } from "../../components/local/release-settings";
import { callSupervisor, releaseFingerprint, workspacePath } from "../../components/local/supervisor-client";
import type { StackSpec } from "../../planner/spec";

/** A switch of a local stack's traffic to a warm release, made ahead of the engine update that records it. */
export interface WarmSwitch {
  /** The warm release now serving. */
  readonly releaseId: string;
  /** The release that served before, to switch back to if the update fails. */
  readonly previousReleaseId: string | null;
}

/**
 * Instant rollback on the local target: when the stack's supervisor still runs a replaced release with exactly the
 * settings this spec (and these secret values) produce, its traffic moves to that release at once, before any engine
 * process starts. The engine update that follows reuses the same process and records it, so the state ends true.
 * Null when there is nothing to switch to (another target, no supervisor, no matching warm release): the update
 * then starts the release as any deploy does.
 */
export async function switchAheadToWarmRelease(workspaceDir: string, spec: StackSpec, secretValues: Readonly<Record<string, string>>): Promise<WarmSwitch | null> {
  if (spec.target !== "local" || !spec.artifact) return null;
  const settings = {
    cwd: workspacePath(localBundlePath(spec), workspaceDir),
    command: localStartCommand(spec),
    healthPath: localHealthPath(spec),
    env: { ...spec.env, ...secretValues },
  };
  const answer = await callSupervisor<{ switched?: boolean; id?: string; previous?: string | null }>(
    localStateDir(spec.stack),
    "POST",
    "/switch",
    { fingerprint: releaseFingerprint(settings), healthPath: settings.healthPath },
    5_000,
    workspaceDir,
  ).catch(() => null);
  if (!answer || answer.status !== 200 || !answer.body.switched || !answer.body.id) return null;
  return { releaseId: answer.body.id, previousReleaseId: answer.body.previous ?? null };
}

/** Undoes a switch ahead whose update failed: the release that served before takes the traffic again. */
export async function switchBackFromWarmRelease(workspaceDir: string, spec: StackSpec, warm: WarmSwitch): Promise<void> {
  if (!warm.previousReleaseId) return;
  await callSupervisor(localStateDir(spec.stack), "POST", "/switch-back", { id: warm.releaseId, previous: warm.previousReleaseId }, 5_000, workspaceDir).catch(() => undefined);
}
