import { readdir } from "node:fs/promises";
import type { StackSpec } from "../../planner/spec";
import { recentHistory, type HistoryEntry } from "./history";
import { rolloutInProgress, TARGET_RUNTIMES, type RolloutStatus } from "../../components/runtimes";
import { lockHolders, type StateReader } from "../backend/index";
import { recordedOperations, type RecordedOperations } from "./operation-outcomes";
import { readStackSpec, PROJECT_NAME, type PlannerWorkspace } from "../workspace/index";
import { decidesServing, stackFacts, type LastUpdate, type OperationFacts } from "./stack-facts";
import { stackOutputs } from "./stack-queries";

/** One stack as `list` shows it. */
export interface StackSummary {
  readonly stack: string;
  readonly project_id: string;
  readonly environment: string;
  readonly target: StackSpec["target"];
  /** The update that serves now ("update N"): the newest that succeeded since the stack was last destroyed; else null. */
  readonly update: number | null;
  /** The same number as `update`, under the name earlier releases gave it. */
  readonly version: number | null;
  /** The release name of the update that serves (e.g. v2), from the engine's history: never a cancelled update's. */
  readonly version_name: string | null;
  readonly url: string | null;
  /** The update that serves: which operation made it, when, run by whom. */
  readonly serving: OperationFacts | null;
  /** The newest operation and how it ended (`outcome`: succeeded, failed, cancelled, interrupted). */
  readonly last_update: LastUpdate | null;
  /** The destroy that left the stack serving nothing (when, by whom), while nothing was deployed since; else null. */
  readonly destroyed: OperationFacts | null;
  /** When a preview environment may be destroyed by `gc` (last update + its time to live), or null. */
  readonly expires_at: string | null;
  /** Whether an operation holds the stack now (its deployment lock or the engine's lock). */
  readonly locked: boolean;
  /** A canary rollout deciding where traffic goes now (where the target reports one: local), or null. */
  readonly rollout: RolloutStatus | null;
}

/** The part of a stored checkpoint `list` reads: the stack resource's outputs. */
interface StoredCheckpoint {
  readonly checkpoint?: { readonly latest?: { readonly resources?: readonly { readonly type: string; readonly outputs?: Record<string, unknown> }[] } };
}

/** Which stacks `listStacks` reads: every one, or only those of `projectId` and of `projectIds` (both when both). */
export interface ListStacksOptions {
  readonly projectId?: string;
  /** The projects a caller may see: no other project's stack file, history or state is read. */
  readonly projectIds?: readonly string[];
}

/**
 * Lists the workspace's stacks (optionally one project's, or those of some projects) from their stack files, each
 * with what its engine history says serves and happened last. The file backend's own files are read directly (the newest history entries, the
 * checkpoint's stack outputs, the lock directories), so a thousand stacks list without an engine run; other backends
 * are asked through the engine, per stack. The audit trail is read once, for every stack.
 */
export async function listStacks(workspace: PlannerWorkspace, options: ListStacksOptions = {}): Promise<StackSummary[]> {
  const ofProject = (stack: string, projectId: string | undefined) => projectId === undefined || stack.startsWith(`${projectId}.`);
  const names = (await readdir(workspace.stacksDir).catch(() => [] as string[]))
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter(
      (stack): stack is string =>
        stack !== undefined && ofProject(stack, options.projectId) && (options.projectIds === undefined || options.projectIds.some((projectId) => ofProject(stack, projectId))),
    )
    .sort();
  const recorded = await recordedOperations(workspace.dataDir);
  const summaries: StackSummary[] = [];
  // Bounded parallelism: quick on a local disk, gentle on a network one.
  for (let i = 0; i < names.length; i += 32) {
    const batch = await Promise.all(names.slice(i, i + 32).map((stack) => summarizeStack(workspace, stack, recorded)));
    summaries.push(...batch.filter((summary): summary is StackSummary => summary !== null));
  }
  return summaries;
}

/** One stack's summary, as `list` shows it, or null when it has no stack file. */
export async function summarizeStack(workspace: PlannerWorkspace, stack: string, recorded?: RecordedOperations): Promise<StackSummary | null> {
  const spec = await readStackSpec(workspace.stacksDir, stack).catch(() => null);
  if (!spec) return null;
  const records = recorded ?? (await recordedOperations(workspace.dataDir));
  const history = await recentHistory(stack, { workspace, recorded: records, enough: decidesServing }).catch(() => [] as HistoryEntry[]);
  const facts = stackFacts(history, records.byStack.get(stack));
  const reader = workspace.stateBackend.reader;
  const url = reader !== null ? await checkpointUrl(reader, stack) : await engineUrl(workspace, stack);
  const lastTime = history[0] ? Date.parse(history[0].endTime ?? history[0].startTime) : Number.NaN;
  return {
    stack,
    project_id: spec.project_id,
    environment: spec.environment,
    target: spec.target,
    update: facts.serving?.update ?? null,
    version: facts.serving?.update ?? null,
    version_name: facts.serving?.version_name ?? null,
    url,
    serving: facts.serving,
    last_update: facts.last,
    destroyed: facts.destroyed,
    expires_at: spec.ttl_hours !== null && Number.isFinite(lastTime) ? new Date(lastTime + spec.ttl_hours * 3_600_000).toISOString() : null,
    locked: await isLocked(workspace, stack),
    rollout: await runningRollout(workspace, spec, stack),
  };
}

/** The URL the stack's checkpoint records, read from the backend's own document; null when it records none. */
async function checkpointUrl(reader: StateReader, stack: string): Promise<string | null> {
  const text = await reader.read("stacks", PROJECT_NAME, `${stack}.json`);
  let checkpoint: StoredCheckpoint | null = null;
  try {
    checkpoint = text === null ? null : (JSON.parse(text) as StoredCheckpoint);
  } catch {
    // A checkpoint this reader cannot parse (compressed) shows no URL; the rest still lists.
  }
  const root = checkpoint?.checkpoint?.latest?.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack");
  return typeof root?.outputs?.url === "string" ? root.outputs.url : null;
}

async function engineUrl(workspace: PlannerWorkspace, stack: string): Promise<string | null> {
  const outputs = await stackOutputs(stack, { workspace }).catch(() => ({}) as Record<string, unknown>);
  return typeof outputs.url === "string" ? outputs.url : null;
}

async function isLocked(workspace: PlannerWorkspace, stack: string): Promise<boolean> {
  return (await workspace.stateBackend.stackLockHeld(stack)) || (await lockHolders(workspace, PROJECT_NAME, stack)).length > 0;
}

/** The stack's rollout while it decides where traffic goes, where its target runs one (a local stack whose supervisor is not running has none). */
async function runningRollout(workspace: PlannerWorkspace, spec: StackSpec, stack: string): Promise<RolloutStatus | null> {
  const rollout = (await TARGET_RUNTIMES[spec.target].rollout?.(workspace.dir, stack).catch(() => null)) ?? null;
  return rolloutInProgress(rollout) ? rollout : null;
}
