import type { StackSpec } from "../../planner/spec";
import type { WarmSwitch } from "../runtime-types";
import { localBundlePath, localHealthPath, localStartCommand, localStateDir } from "./release-settings";
import { releaseFingerprint, switchBack, switchToWarm, workspacePath } from "./supervisor-client";

/**
 * Instant rollback on the local target: when the stack's supervisor still runs a replaced release with exactly the
 * settings this spec (and these secret values) produce, its traffic moves to that release at once, before any engine
 * process starts. The engine update that follows reuses the same process and records it, so the state ends true.
 * Null when there is nothing to switch to (no bundle, no supervisor, no matching warm release): the update then
 * starts the release as any deploy does.
 */
export async function switchAheadToWarmRelease(workspaceDir: string, spec: StackSpec, secretValues: Readonly<Record<string, string>>): Promise<WarmSwitch | null> {
  if (!spec.artifact) return null;
  const settings = {
    cwd: workspacePath(localBundlePath(spec), workspaceDir),
    command: localStartCommand(spec),
    healthPath: localHealthPath(spec),
    env: { ...spec.env, ...secretValues },
  };
  const supervisor = { stateDir: localStateDir(spec.stack), workspaceDir };
  const answer = await switchToWarm(supervisor, releaseFingerprint(settings), settings.healthPath).catch(() => null);
  if (!answer?.switched) return null;
  const { id, previous } = answer;
  return {
    releaseId: id,
    // Undoes the switch when the update that should record it failed: the release that served before serves again.
    async switchBack() {
      if (previous) await switchBack(supervisor, id, previous).catch(() => undefined);
    },
  };
}
