import type { PlannerWorkspace } from "../workspace/index";

const stackQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier operation on the same stack (in this process) has finished, so concurrent callers
 * queue instead of failing on the stack's lock. Other processes are waited for through the stack's lock instead.
 */
export function inStackQueue<T>(workspace: PlannerWorkspace, stack: string, task: () => Promise<T>): Promise<T> {
  const key = `${workspace.backendUrl}#${stack}`;
  const previous = stackQueues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.catch(() => undefined);
  stackQueues.set(key, settled);
  void settled.then(() => {
    if (stackQueues.get(key) === settled) stackQueues.delete(key);
  });
  return next;
}
