import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { appendAudit } from "../records/index";
import { breakStaleLocks } from "./locks";
import { reapOrphanProviders } from "./orphans";
import { PROJECT_NAME, type PlannerWorkspace } from "../workspace/index";

/** One operation an interrupted update left in the checkpoint: what it was doing to which resource. */
interface PendingOperation {
  readonly type?: string;
  readonly resource?: { readonly urn?: string };
}

/**
 * Whether a self-managed backend's checkpoint of a stack lists pending operations, read directly (no CLI run), so the
 * common case costs nothing. Other backends are asked through an export.
 */
async function mayHavePendingOperations(workspace: PlannerWorkspace, stackName: string): Promise<boolean> {
  const reader = workspace.stateBackend.reader;
  if (reader === null) return true;
  const text = await reader.read("stacks", PROJECT_NAME, `${stackName}.json`);
  // No plain checkpoint (a new stack, or one the backend keeps compressed): nothing is repaired here.
  if (text === null) return false;
  return /"pending_operations"\s*:\s*\[\s*\{/.test(text);
}

/**
 * Repairs what an interrupted update (a killed process, a crash) left in the stack's checkpoint: its pending
 * operations are cleared before the next operation runs, so the engine neither warns about them forever nor keeps
 * them past a successful update. What they were doing is reconciled by the next operation itself (a `refresh` or an
 * `up` reads and replaces what really exists; the local target's supervisor stops a release whose create was
 * abandoned). Each repair is audited, and returned as a warning for the caller's result.
 */
export async function repairInterruptedUpdate(workspace: PlannerWorkspace, stackName: string, stack: Stack): Promise<string[]> {
  const attrs = await removeTornMetadata(workspace, stackName);
  if (!(await mayHavePendingOperations(workspace, stackName))) return attrs;
  const state = await stack.exportStack();
  const deployment = state.deployment as { pending_operations?: PendingOperation[] } | undefined;
  const pending = deployment?.pending_operations ?? [];
  if (pending.length === 0) return [];
  const described = pending.map((op) => `${op.type ?? "operation"} ${op.resource?.urn?.split("::").pop() ?? "a resource"}`);
  await stack.importStack({ ...state, deployment: { ...deployment, pending_operations: [] } });
  const warning = `repaired ${stackName}: an interrupted update had left ${pending.length} pending operation(s) (${described.join(", ")}); cleared them`;
  await appendAudit(workspace.dataDir, { action: "repair", stack: stackName, status: "success", actor: null, reason: warning }).catch(
    () => undefined,
  );
  return [...attrs, warning];
}

/**
 * Removes metadata files a kill cut short beside the stack's state files. The file backend keeps a small `.attrs`
 * JSON file next to each checkpoint and writes it in place, so a kill mid-write leaves it empty or torn, and every
 * later engine run on the stack then fails to load the checkpoint. A missing one is read as default metadata, so a
 * torn one is removed (and audited); the checkpoint itself is written atomically and stays.
 */
async function removeTornMetadata(workspace: PlannerWorkspace, stackName: string): Promise<string[]> {
  const dir = workspace.stateBackend.filePath("stacks", PROJECT_NAME);
  if (dir === null) return [];
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith(`${stackName}.json`) && name.endsWith(".attrs"));
  const torn: string[] = [];
  for (const name of names) {
    const text = await readFile(path.join(dir, name), "utf8").catch(() => null);
    if (text === null) continue;
    try {
      JSON.parse(text);
    } catch {
      await rm(path.join(dir, name), { force: true });
      torn.push(name);
    }
  }
  if (torn.length === 0) return [];
  const warning = `repaired ${stackName}: removed ${torn.length} state metadata file(s) an interrupted write had cut short (${torn.join(", ")})`;
  await appendAudit(workspace.dataDir, { action: "repair", stack: stackName, status: "success", actor: null, reason: warning }).catch(() => undefined);
  return [warning];
}

/** How long the clean-up after a cancelled operation may take before it is left to the next operation. */
const CANCEL_REPAIR_TIMEOUT_MS = 30_000;

/**
 * Leaves a cancelled operation's stack as clean as a finished one: an engine that had to be killed (it did not stop
 * within the cancel bounds) leaves its lock, its provider processes and pending operations; the lock of a holder that
 * is gone is broken, the orphans are stopped and the pending operations cleared. Bounded; whatever it cannot do in
 * time, the next operation repairs.
 */
export async function repairAfterCancel(workspace: PlannerWorkspace, stackName: string, stack: Stack): Promise<void> {
  const work = (async () => {
    const { broken, held } = await breakStaleLocks(workspace, PROJECT_NAME, stackName);
    if (broken.length > 0) await reapOrphanProviders(workspace.toolchain);
    if (held.length === 0) await repairInterruptedUpdate(workspace, stackName, stack);
  })().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_REPAIR_TIMEOUT_MS)))]);
  clearTimeout(timer);
}
