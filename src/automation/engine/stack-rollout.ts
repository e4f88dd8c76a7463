import { rolloutInProgress, TARGET_RUNTIMES, type RolloutStatus } from "../../components/runtimes";
import { appendAudit } from "../records/index";
import { readStackSpec, type PlannerWorkspace } from "../workspace/index";

/** What a request to end a stack's rollout found: no stack, no rollout its target can act on, or what it did. */
export type RolloutControl =
  | { readonly outcome: "no_stack" }
  | { readonly outcome: "not_running"; readonly rollout: RolloutStatus | null }
  | { readonly outcome: "done"; readonly rollout: RolloutStatus | null };

/** A stack's current or last canary rollout as its target reports it; null when there is none (or no stack). */
export async function stackRollout(workspace: PlannerWorkspace, stack: string): Promise<RolloutStatus | null> {
  const spec = await readStackSpec(workspace.stacksDir, stack).catch(() => null);
  if (!spec) return null;
  return (await TARGET_RUNTIMES[spec.target].rollout?.(workspace.dir, stack).catch(() => null)) ?? null;
}

/**
 * Aborts the stack's running canary rollout (`promote: false`: the stable release takes all traffic back, and the
 * deploy that ran it fails at `verify` with `reason`) or completes it now (`promote: true`: the new release takes all
 * traffic; only a running rollout, where the target allows it). The rollout after the change is in the answer. What
 * was done is audited with `actor`.
 */
export async function endStackRollout(
  workspace: PlannerWorkspace,
  stack: string,
  how: { readonly promote: boolean; readonly reason: string; readonly actor: string | null },
): Promise<RolloutControl> {
  const spec = await readStackSpec(workspace.stacksDir, stack).catch(() => null);
  if (!spec) return { outcome: "no_stack" };
  const runtime = TARGET_RUNTIMES[spec.target];
  const before = (await runtime.rollout?.(workspace.dir, stack).catch(() => null)) ?? null;
  const act = how.promote ? runtime.promoteRollout : runtime.abortRollout;
  if (!act || !rolloutInProgress(before) || (how.promote && before.status !== "running")) return { outcome: "not_running", rollout: before };
  if (!(await act(workspace.dir, stack, how.reason))) return { outcome: "not_running", rollout: (await runtime.rollout?.(workspace.dir, stack).catch(() => null)) ?? null };
  const after = (await runtime.rollout?.(workspace.dir, stack).catch(() => null)) ?? null;
  await appendAudit(workspace.dataDir, {
    action: how.promote ? "rollout_promote" : "rollout_abort",
    stack,
    status: "success",
    actor: how.actor,
    target: spec.target,
    reason: how.reason,
    to_version: after?.canary ?? before.canary,
    from_version: before.stable,
  });
  return { outcome: "done", rollout: after };
}
