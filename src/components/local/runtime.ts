import type { TargetRuntime } from "../runtime-types";
import { abortedCanaryFigures, abortLocalRollout, localRollout, promoteLocalRollout, watchCanary } from "./canary-watch";
import { LOCAL_RELEASE_PROOF } from "./release-proof";
import { localStateDir } from "./release-settings";
import { supervisorStatus } from "./supervisor-client";
import { switchAheadToWarmRelease } from "./warm-switch";

/**
 * What the local target's supervisor says when the stack's URL does not answer as the stack's: it is not running, or
 * it runs without a proof of identity (one started by an earlier version of this product).
 */
async function supervisorNote(workspaceDir: string, stack: string, url: string): Promise<string> {
  const status = await supervisorStatus(localStateDir(stack), workspaceDir);
  if (!status) return "; the stack's supervisor is not running (deploy the stack again to start it)";
  if (String(status.port) === new URL(url).port) return "; the stack's supervisor runs there but gives no proof of identity (an older supervisor: the next deploy replaces it)";
  return "";
}

/**
 * The local target's runtime: a per-stack supervisor runs the releases from a packaged bundle, steps canaries inside
 * the engine update, keeps replaced releases warm for an instant rollback, and proves which release answers.
 */
export const localRuntime = {
  identity: LOCAL_RELEASE_PROOF,
  needsBundle: true,
  watchUpdate: watchCanary,
  abortedCanary: abortedCanaryFigures,
  rollout: localRollout,
  abortRollout: abortLocalRollout,
  promoteRollout: promoteLocalRollout,
  switchToWarmRelease: switchAheadToWarmRelease,
  notServingNote: supervisorNote,
} satisfies TargetRuntime;
