import { readdir } from "node:fs/promises";
import type { StackSpec } from "../planner/spec";
import { stackHistory } from "./history";
import { localRollout, rolloutInProgress, type RolloutStatus } from "./canary-watch";
import { lockHolders } from "./locks";
import { readStackSpec } from "./stack-config";
import { stackOutputs } from "./stack-queries";
import { stackMutexHeld } from "./stack-mutex";
import { stateReader, type StateReader } from "./state-reader";
import { PROJECT_NAME, type PlannerWorkspace } from "./workspace";

/** One stack as `list` shows it. */
export interface StackSummary {
  readonly stack: string;
  readonly project_id: string;
  readonly environment: string;
  readonly target: StackSpec["target"];
  /** Number of the latest update, or null when the stack was never updated. */
  readonly version: number | null;
  readonly version_name: string | null;
  readonly url: string | null;
  readonly last_update: { readonly kind: string; readonly result: string; readonly time: string } | null;
  /** When a preview environment may be destroyed by `gc` (last update + its time to live), or null. */
  readonly expires_at: string | null;
  /** Whether an operation holds the stack now (its deployment lock or the engine's lock). */
  readonly locked: boolean;
  /** A canary rollout deciding where traffic goes now (local target), or null. */
  readonly rollout: RolloutStatus | null;
}

/** The latest entry of a stack's history as the file backend stores it. */
/** The part of a stored checkpoint `list` reads: the stack resource's outputs. */
interface StoredCheckpoint {
  readonly checkpoint?: { readonly latest?: { readonly resources?: readonly { readonly type: string; readonly outputs?: Record<string, unknown> }[] } };
}

interface StoredUpdate {
  readonly kind?: string;
  readonly result?: string;
  readonly startTime?: number;
  readonly endTime?: number;
}

/**
 * Lists the workspace's stacks (optionally one project's) from their stack files, newest state first read from the
 * file backend's own files: the latest history entry (one small file), the checkpoint's stack outputs and the lock
 * directories, so a thousand stacks list without an engine run. Other backends are asked through the engine, per stack.
 */
export async function listStacks(workspace: PlannerWorkspace, options: { readonly projectId?: string } = {}): Promise<StackSummary[]> {
  const names = (await readdir(workspace.stacksDir).catch(() => [] as string[]))
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined && (options.projectId === undefined || stack.startsWith(`${options.projectId}.`)))
    .sort();
  const summaries: StackSummary[] = [];
  // Bounded parallelism: quick on a local disk, gentle on a network one.
  for (let i = 0; i < names.length; i += 32) {
    const batch = await Promise.all(names.slice(i, i + 32).map((stack) => summarizeStack(workspace, stack)));
    summaries.push(...batch.filter((summary): summary is StackSummary => summary !== null));
  }
  return summaries;
}

/** One stack's summary, as `list` shows it, or null when it has no stack file. */
export async function summarizeStack(workspace: PlannerWorkspace, stack: string): Promise<StackSummary | null> {
  const spec = await readStackSpec(workspace.stacksDir, stack).catch(() => null);
  if (!spec) return null;
  const reader = stateReader(workspace);
  const facts = reader !== null ? await backendFacts(reader, stack) : await engineFacts(workspace, stack);
  const lastTime = facts.last?.time ? Date.parse(facts.last.time) : Number.NaN;
  return {
    stack,
    project_id: spec.project_id,
    environment: spec.environment,
    target: spec.target,
    version: facts.version,
    version_name: spec.version_name,
    url: facts.url,
    last_update: facts.last,
    expires_at: spec.ttl_hours !== null && Number.isFinite(lastTime) ? new Date(lastTime + spec.ttl_hours * 3_600_000).toISOString() : null,
    locked: await isLocked(workspace, stack),
    rollout: spec.target === "local" ? await runningRollout(workspace, stack) : null,
  };
}

interface StackFacts {
  readonly version: number | null;
  readonly url: string | null;
  readonly last: StackSummary["last_update"];
}

/** A stack's facts read from the backend's own documents: the newest history entry and the checkpoint's outputs. */
async function backendFacts(reader: StateReader, stack: string): Promise<StackFacts> {
  const entries = (await reader.list("history", PROJECT_NAME, stack)).filter((f) => f.endsWith(".history.json"));
  // Each entry's name ends in its time in nanoseconds; the longest, then greatest, name is the newest.
  const newest = entries.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)).at(-1);
  let last: StackSummary["last_update"] = null;
  if (newest) {
    const update = JSON.parse((await reader.read("history", PROJECT_NAME, stack, newest)) ?? "{}") as StoredUpdate;
    const seconds = update.endTime ?? update.startTime;
    last = { kind: update.kind ?? "update", result: update.result ?? "unknown", time: seconds ? new Date(seconds * 1000).toISOString() : "" };
  }
  const text = await reader.read("stacks", PROJECT_NAME, `${stack}.json`);
  let checkpoint: StoredCheckpoint | null = null;
  try {
    checkpoint = text === null ? null : (JSON.parse(text) as StoredCheckpoint);
  } catch {
    // A checkpoint this reader cannot parse (compressed) shows no URL; the rest still lists.
  }
  const root = checkpoint?.checkpoint?.latest?.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack");
  const url = typeof root?.outputs?.url === "string" ? root.outputs.url : null;
  return { version: entries.length > 0 ? entries.length : null, url, last };
}

async function engineFacts(workspace: PlannerWorkspace, stack: string): Promise<StackFacts> {
  const [latest] = await stackHistory(stack, { workspace, limit: 1 }).catch(() => []);
  const outputs = await stackOutputs(stack, { workspace }).catch(() => ({}) as Record<string, unknown>);
  return {
    version: latest?.version ?? null,
    url: typeof outputs.url === "string" ? outputs.url : null,
    last: latest ? { kind: latest.kind, result: latest.result, time: latest.endTime ?? latest.startTime } : null,
  };
}

async function isLocked(workspace: PlannerWorkspace, stack: string): Promise<boolean> {
  return (await stackMutexHeld(workspace, stack)) || (await lockHolders(workspace, PROJECT_NAME, stack)).length > 0;
}

/** The stack's rollout while it decides where traffic goes; a local stack whose supervisor is not running has none. */
async function runningRollout(workspace: PlannerWorkspace, stack: string): Promise<RolloutStatus | null> {
  const rollout = await localRollout(workspace.dir, stack).catch(() => null);
  return rolloutInProgress(rollout) ? rollout : null;
}
