import { rolloutInProgress, TARGET_RUNTIMES } from "../../components/runtimes";
import { explainSpec, stackSpecSchema } from "../../planner/index";
import type { StackSpec } from "../../planner/spec";
import { checkLiveRelease, describeLiveRelease, recentHistory, type HistoryEntry } from "../engine/index";
import { PROJECT_NAME, portableSpec, readStackSpec, type PlannerWorkspace } from "../workspace/index";
import { NO_SECRETS_FINGERPRINT } from "./secrets-fingerprint";

/**
 * Whether a stack already serves a deployment: `converged` with the update that serves it and the stack's recorded
 * outputs, or why the engine must run.
 */
export type Convergence =
  | { readonly converged: true; readonly update: HistoryEntry; readonly outputs: Readonly<Record<string, unknown>>; readonly detail: string }
  | { readonly converged: false; readonly reason: string };

/**
 * Decides, without starting the engine, whether `spec` (as packaged, with its bundle's digest) with secrets of
 * `fingerprint` is what the stack serves: its newest history entry is a successful update of the same spec, bundle and
 * secrets fingerprint, the stack file says the same, no operation holds the stack's lock, no operation is pending in
 * its checkpoint, no rollout runs, and one request to its URL is answered by that update's release, proving itself.
 * Anything this cannot read or prove (a target whose URL cannot prove the release, a backend it cannot read, an update
 * made by hand with secrets) means the engine runs.
 */
export async function convergence(workspace: PlannerWorkspace, spec: StackSpec, fingerprint: string | null): Promise<Convergence> {
  const no = (reason: string): Convergence => ({ converged: false, reason });
  const runtime = TARGET_RUNTIMES[spec.target];
  if (runtime.identity.proves !== "release") return no(`the ${spec.target} target's URL cannot prove which release answers`);
  const reader = workspace.stateBackend.reader;
  if (reader === null) return no("this state backend's records cannot be read without the engine");
  if (fingerprint === null) return no("the stack secrets' passphrase cannot be read, so their fingerprint is unknown");
  // Every record is read at once: each is a file (or a row), and a deployment waits on the slowest.
  const [mutexHeld, engineLocks, checkpoint, [newest], inFile] = await Promise.all([
    workspace.stateBackend.stackLockHeld(spec.stack),
    workspace.stateBackend.engineLocks(PROJECT_NAME, spec.stack),
    readCheckpoint(workspace, spec.stack),
    // The newest entry only: it must be the successful update this deployment would repeat.
    recentHistory(spec.stack, { workspace, enough: () => true }),
    readStackSpec(workspace.stacksDir, spec.stack).catch(() => null),
  ]);
  if (mutexHeld || engineLocks.length > 0) return no("another operation holds the stack's lock");
  if (checkpoint === null) return no("the stack has no readable checkpoint");
  if (checkpoint.pendingOperations > 0) return no("an earlier update left operations pending");
  if (!newest) return no("the stack has no recorded update");
  if (newest.kind !== "update") return no(`its latest operation (entry ${newest.update}) was a ${newest.kind}, not an update`);
  if (newest.outcome !== "succeeded") return no(`its latest update (${newest.update}) ended ${newest.outcome}`);
  if (!newest.spec || !sameDeployment(newest.spec, recordedForm(spec, workspace.dir))) return no(`the spec or bundle differs from update ${newest.update}'s`);
  // An update whose note records no fingerprint (made by hand, or before fingerprints) matches only a deployment with no secrets.
  const recorded = newest.secretsFingerprint ?? NO_SECRETS_FINGERPRINT;
  if (recorded !== fingerprint) return no(`the secrets differ from update ${newest.update}'s`);
  if (!inFile || !sameDeployment(inFile, newest.spec)) return no("the stack file no longer holds the deployed spec");

  // One request to the supervisor (or platform) for a rollout, one to the URL, at once.
  const [rollout, live] = await Promise.all([
    runtime.rollout?.(workspace.dir, spec.stack).catch(() => null) ?? null,
    checkLiveRelease(workspace, spec.stack).catch(() => null),
  ]);
  if (rolloutInProgress(rollout)) return no("a rollout is running");
  if (live === null) return no("the stack records no URL to check");
  if (live.state !== "serving" || live.proves !== "release" || live.release === null || live.release !== live.recorded_release) {
    return no(`its release does not serve as recorded (${describeLiveRelease(live)})`);
  }
  return { converged: true, update: newest, outputs: checkpoint.outputs, detail: live.detail };
}

/** The spec as a stack file and the stack's history record it: explained, with paths relative to the workspace. */
export function recordedForm(spec: StackSpec, workspaceDir: string): StackSpec {
  return stackSpecSchema.parse(portableSpec(explainSpec(spec), workspaceDir));
}

/** Whether two specs describe the same deployment (the record of why each choice was made aside). */
export function sameDeployment(a: StackSpec, b: StackSpec): boolean {
  const comparable = ({ decisions: _decisions, ...rest }: StackSpec) => JSON.stringify(canonical(rest));
  return comparable(a) === comparable(b);
}

/** A value with every object's keys in sorted order, so equal content serializes equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}

/** What the stack's checkpoint says: its outputs and how many operations an interrupted update left pending. */
interface CheckpointFacts {
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly pendingOperations: number;
}

/** The stack's checkpoint as the backend stores it; null when absent or in a form this reader does not parse. */
async function readCheckpoint(workspace: PlannerWorkspace, stack: string): Promise<CheckpointFacts | null> {
  const text = await workspace.stateBackend.reader!.read("stacks", PROJECT_NAME, `${stack}.json`).catch(() => null);
  if (text === null) return null;
  try {
    const latest = (JSON.parse(text) as { checkpoint?: { latest?: { resources?: { type: string; outputs?: Record<string, unknown> }[]; pending_operations?: unknown[] } } })
      .checkpoint?.latest;
    if (!latest) return null;
    return {
      outputs: latest.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack")?.outputs ?? {},
      pendingOperations: latest.pending_operations?.length ?? 0,
    };
  } catch {
    return null;
  }
}
