import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { asSdkCommand, engineCommandFor } from "./command";
import { classifyEngineError, automationSdk, PROJECT_NAME, type PlannerWorkspace } from "../workspace/index";

const engineWorkspaces = new WeakMap<PlannerWorkspace, Promise<LocalWorkspace>>();

/**
 * The Automation API workspace of a planner workspace, created once: creating one runs the CLI to check its version,
 * and every operation passes its own program, so concurrent operations on different stacks can share it.
 */
export function engineWorkspace(workspace: PlannerWorkspace): Promise<LocalWorkspace> {
  let existing = engineWorkspaces.get(workspace);
  if (!existing) {
    // The SDK does not find the CLI through `envVars.PATH`, so it is handed the toolchain's own, through a handle
    // that also makes cancellation prompt.
    existing = Promise.resolve().then(() =>
      automationSdk().LocalWorkspace.create({
        workDir: workspace.dir,
        envVars: workspace.envVars,
        pulumiHome: workspace.pulumiHome,
        pulumiCommand: asSdkCommand(engineCommandFor(workspace.toolchain)),
      }),
    );
    existing.catch(() => engineWorkspaces.delete(workspace));
    engineWorkspaces.set(workspace, existing);
  }
  return existing;
}

const openStacks = new WeakMap<PlannerWorkspace, Map<string, Stack>>();

function rememberStack(workspace: PlannerWorkspace, stack: Stack): Stack {
  let byName = openStacks.get(workspace);
  if (!byName) openStacks.set(workspace, (byName = new Map()));
  byName.set(stack.name, stack);
  return stack;
}

/** Drops the kept handle of a stack that was removed. */
export function forgetStack(workspace: PlannerWorkspace, stackName: string): void {
  openStacks.get(workspace)?.delete(stackName);
}

/**
 * Whether a self-managed backend (files, PostgreSQL) holds a stack, read from its documents; undefined for backends
 * this product cannot read. Every engine command names its stack, so selecting one first only checks that it
 * exists; read directly, that check needs no CLI run (about 0.3 s).
 */
async function fileBackendHasStack(workspace: PlannerWorkspace, stack: string): Promise<boolean | undefined> {
  const reader = workspace.stateBackend.reader;
  if (reader === null) return undefined;
  for (const suffix of [".json", ".json.gz"]) {
    if (await reader.exists("stacks", PROJECT_NAME, stack + suffix)) return true;
  }
  return false;
}

/** A stack handle for a stack known to exist, without the CLI run that `Stack.select` makes to check it. */
function knownStack(engine: LocalWorkspace, stack: string): Promise<Stack> {
  // Everything but the existence check, which the caller has just made, is the engine workspace's own.
  const withoutSelect = Object.create(engine, { selectStack: { value: async () => undefined } }) as LocalWorkspace;
  return automationSdk().Stack.select(stack, withoutSelect);
}

/** Opens a stack for an inline program run, creating it when absent. Handles are kept for the next operation. */
export async function inlineStack(workspace: PlannerWorkspace, stack: string): Promise<Stack> {
  const known = openStacks.get(workspace)?.get(stack);
  if (known) return known;
  const engine = await engineWorkspace(workspace);
  const exists = await fileBackendHasStack(workspace, stack);
  if (exists === true) return rememberStack(workspace, await knownStack(engine, stack));
  // Written straight into a backend this product can write to: `stack init` is a CLI run of its own (about half a
  // second, most of it deriving the secrets key that the first update derives anyway).
  if (exists === false && (await workspace.stateBackend.createStackRecord(PROJECT_NAME, stack))) return rememberStack(workspace, await knownStack(engine, stack));
  if (exists === false) {
    return rememberStack(
      workspace,
      await automationSdk().Stack.create(stack, engine).catch(async (error) => {
        // Another process created it first (concurrent first deploys), and may be updating it already: it exists
        // now, which is all that was needed.
        if (error instanceof automationSdk().StackAlreadyExistsError || (await fileBackendHasStack(workspace, stack)) === true) return knownStack(engine, stack);
        throw classifyEngineError(error, stack, false);
      }),
    );
  }
  try {
    return rememberStack(workspace, await automationSdk().Stack.select(stack, engine));
  } catch (error) {
    if (!(error instanceof automationSdk().StackNotFoundError)) throw classifyEngineError(error, stack, false);
    return rememberStack(workspace, await automationSdk().Stack.create(stack, engine));
  }
}

/** Opens an existing stack without a program (destroy, refresh, outputs, history); a missing one is a typed error. */
export async function existingStack(workspace: PlannerWorkspace, stack: string): Promise<Stack> {
  const known = openStacks.get(workspace)?.get(stack);
  if (known) return known;
  if ((await fileBackendHasStack(workspace, stack)) === true) {
    return rememberStack(workspace, await knownStack(await engineWorkspace(workspace), stack));
  }
  try {
    return rememberStack(workspace, await automationSdk().Stack.select(stack, await engineWorkspace(workspace)));
  } catch (error) {
    throw classifyEngineError(error, stack, false);
  }
}
