import { appendFile, mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  LocalWorkspace,
  Stack,
  StackNotFoundError,
  type EngineEvent,
  type OpMap,
  type UpdateSummary,
} from "@pulumi/pulumi/automation";
import type { StackSpec } from "../planner/spec";
import type { TextMasker } from "../secrets/masker";
import { programFor } from "../stacks/program";
import { asSdkCommand, engineCommandFor } from "./engine-command";
import { classifyEngineError, ProtectedStackError, StackMissingError, StackLockedError, type AutomationError } from "./errors";
import { breakStaleLocks, describeHolder } from "./locks";
import { reapOrphanProviders } from "./orphans";
import { repairInterruptedUpdate } from "./repair";
import { readStackSpec, specFromHistoryConfig, stackConfigPath, writeStackSpec } from "./stack-config";
import { fileBackendPath, PROJECT_NAME, type PlannerWorkspace } from "./workspace";

export type { TextMasker } from "../secrets/masker";

const NO_MASK: TextMasker = { mask: (text) => text };

/** Options every operation takes. */
export interface OperationOptions {
  readonly workspace: PlannerWorkspace;
  /** Every engine event, as the Automation API delivers it. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Resource-level progress lines for a person, secrets masked. */
  readonly onProgress?: (line: string) => void;
  /** Cancels the operation: the engine is interrupted and leaves a consistent checkpoint. */
  readonly signal?: AbortSignal;
  /** Hides resolved secret values in progress lines, logs and errors. */
  readonly masker?: TextMasker;
  /** How long to wait for another update's lock on the stack before failing; default 60 s. */
  readonly lockWaitMs?: number;
  /** Update message recorded in the stack history. */
  readonly message?: string;
}

/** Counts of resource operations, by kind (`create`, `update`, `same`, `delete`, `replace`, ...). */
export type ChangeSummary = Readonly<Record<string, number>>;

/** Result of `preview`. */
export interface PreviewResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  /** True when the preview found anything to create, update, replace or delete. */
  readonly hasChanges: boolean;
  /** Planned steps other than `same`. */
  readonly steps: readonly { op: string; type: string; name: string }[];
  readonly logFile: string;
}

/** Result of `up`. */
export interface UpResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  readonly outputs: StackOutputs;
  /** Number of this update in the stack's history. */
  readonly version: number;
  readonly durationMs: number;
  readonly logFile: string;
  /** What an interrupted earlier update had left and this one repaired first (see `repairInterruptedUpdate`). */
  readonly repairs: readonly string[];
}

/** Result of `destroy`. */
export interface DestroyResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  /** True when the stack and its config file were removed after its resources. */
  readonly stackRemoved: boolean;
  readonly logFile: string;
}

/** Result of `refresh`. */
export interface RefreshResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  readonly logFile: string;
}

/** The outputs the program exports, as plain values (secrets stay masked). */
export interface StackOutputs {
  readonly url?: string;
  readonly dashboardUrl?: string;
  readonly urls?: Record<string, string>;
  readonly target?: string;
  readonly stack?: string;
  readonly artifactDigest?: string | null;
  readonly [key: string]: unknown;
}

/** One update in a stack's history: who deployed what, when, with what result. */
export interface HistoryEntry {
  readonly version: number;
  readonly kind: string;
  readonly result: string;
  readonly startTime: string;
  readonly endTime: string | null;
  readonly message: string;
  readonly deployer: string | null;
  readonly versionName: string | null;
  readonly artifactDigest: string | null;
  readonly target: string | null;
  readonly resourceChanges: ChangeSummary;
  /** The spec the update applied, when it carried one (rollback re-applies it). */
  readonly spec: StackSpec | null;
}

/** Flags of each engine operation, in one table. */
const OPERATION_FLAGS = {
  preview: { color: "never", diff: false },
  up: { color: "never" },
  refresh: { color: "never" },
  destroy: { color: "never" },
} as const;

const stackQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier operation on the same stack (in this process) has finished, so concurrent callers
 * queue instead of failing on the stack's lock.
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

const engineWorkspaces = new WeakMap<PlannerWorkspace, Promise<LocalWorkspace>>();

/**
 * The Automation API workspace of a planner workspace, created once: creating one runs the CLI to check its version,
 * and every operation passes its own program, so concurrent operations on different stacks can share it.
 */
function engineWorkspace(workspace: PlannerWorkspace): Promise<LocalWorkspace> {
  let existing = engineWorkspaces.get(workspace);
  if (!existing) {
    // The SDK does not find the CLI through `envVars.PATH`, so it is handed the toolchain's own, through a handle
    // that also makes cancellation prompt.
    existing = Promise.resolve().then(() =>
      LocalWorkspace.create({
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

function forgetStack(workspace: PlannerWorkspace, stackName: string): void {
  openStacks.get(workspace)?.delete(stackName);
}

/**
 * Whether the file backend holds a stack, read from its directory. Every engine command names its stack, so
 * selecting one first only checks that it exists; on the file backend that check needs no CLI run (about 0.3 s).
 */
async function fileBackendHasStack(workspace: PlannerWorkspace, stack: string): Promise<boolean | undefined> {
  const dir = fileBackendPath(workspace, "stacks", PROJECT_NAME);
  if (dir === null) return undefined;
  for (const suffix of [".json", ".json.gz"]) {
    if (await stat(path.join(dir, stack + suffix)).then(() => true, () => false)) return true;
  }
  return false;
}

/** A stack handle for a stack known to exist, without the CLI run that `Stack.select` makes to check it. */
function knownStack(engine: LocalWorkspace, stack: string): Promise<Stack> {
  // Everything but the existence check, which the caller has just made, is the engine workspace's own.
  const withoutSelect = Object.create(engine, { selectStack: { value: async () => undefined } }) as LocalWorkspace;
  return Stack.select(stack, withoutSelect);
}

/** Opens a stack for an inline program run, creating it when absent. Handles are kept for the next operation. */
async function inlineStack(workspace: PlannerWorkspace, stack: string): Promise<Stack> {
  const known = openStacks.get(workspace)?.get(stack);
  if (known) return known;
  const engine = await engineWorkspace(workspace);
  const exists = await fileBackendHasStack(workspace, stack);
  if (exists === true) return rememberStack(workspace, await knownStack(engine, stack));
  if (exists === false) return rememberStack(workspace, await Stack.create(stack, engine).catch((error) => {
    throw classifyEngineError(error, stack, false);
  }));
  try {
    return rememberStack(workspace, await Stack.select(stack, engine));
  } catch (error) {
    if (!(error instanceof StackNotFoundError)) throw classifyEngineError(error, stack, false);
    return rememberStack(workspace, await Stack.create(stack, engine));
  }
}

/** Opens an existing stack without a program (destroy, refresh, outputs, history). */
async function existingStack(workspace: PlannerWorkspace, stack: string): Promise<Stack> {
  const known = openStacks.get(workspace)?.get(stack);
  if (known) return known;
  if ((await fileBackendHasStack(workspace, stack)) === true) {
    return rememberStack(workspace, await knownStack(await engineWorkspace(workspace), stack));
  }
  try {
    return rememberStack(workspace, await Stack.select(stack, await engineWorkspace(workspace)));
  } catch (error) {
    throw classifyEngineError(error, stack, false);
  }
}

/** Shows what `up` would change for a spec, without changing anything. */
export async function previewStack(
  spec: StackSpec,
  resolvedSecrets: Readonly<Record<string, string>>,
  options: OperationOptions,
): Promise<PreviewResult> {
  return inStackQueue(options.workspace, spec.stack, async () => {
    await writeStackSpec(options.workspace.stacksDir, spec);
    const stack = await inlineStack(options.workspace, spec.stack);
    return runEngine("preview", spec.stack, options, async (hooks) => {
      const steps: { op: string; type: string; name: string }[] = [];
      const result = await stack.preview({
        ...OPERATION_FLAGS.preview,
        signal: options.signal,
        program: programFor(spec, { resolvedSecrets, workspaceDir: options.workspace.dir }),
        onOutput: hooks.onOutput,
        onEvent: (event) => {
          hooks.onEvent(event);
          const meta = event.resourcePreEvent?.metadata;
          if (meta && meta.op !== "same" && meta.type !== "pulumi:pulumi:Stack") {
            steps.push({ op: meta.op, type: meta.type, name: meta.urn.split("::").pop() ?? meta.urn });
          }
        },
      });
      const changeSummary = normalizeSummary(result.changeSummary);
      return { stack: spec.stack, changeSummary, hasChanges: hasChanges(changeSummary), steps, logFile: hooks.logFile };
    });
  });
}

/** Deploys a spec: writes it into the stack file, then runs the program inline. */
export async function upStack(
  spec: StackSpec,
  resolvedSecrets: Readonly<Record<string, string>>,
  options: OperationOptions,
): Promise<UpResult> {
  return inStackQueue(options.workspace, spec.stack, async () => {
    await writeStackSpec(options.workspace.stacksDir, spec);
    const stack = await inlineStack(options.workspace, spec.stack);
    return runEngine("up", spec.stack, options, async (hooks) => {
      const started = Date.now();
      const repairs = await repairInterruptedUpdate(options.workspace, spec.stack, stack);
      const observed: ObservedUpdate = {};
      const result = await answeredFromEvents(stack, observed).up({
        ...OPERATION_FLAGS.up,
        signal: options.signal,
        program: programFor(spec, { resolvedSecrets, workspaceDir: options.workspace.dir }),
        message: options.message,
        onOutput: hooks.onOutput,
        onEvent: (event) => {
          observeEvent(event, observed);
          hooks.onEvent(event);
        },
      });
      await tagStack(stack, options.workspace, spec);
      const version = result.summary?.version || (await updateCount(options.workspace, spec.stack));
      return {
        stack: spec.stack,
        changeSummary: normalizeSummary(result.summary?.resourceChanges ?? observed.changes),
        outputs: plainOutputs(result.outputs),
        version,
        durationMs: Date.now() - started,
        logFile: hooks.logFile,
        repairs,
      };
    });
  });
}

/** What an update's own events said: the stack's outputs and the counts of resource changes. */
interface ObservedUpdate {
  outputs?: Record<string, { value: unknown; secret: boolean }>;
  changes?: OpMap;
}

function observeEvent(event: EngineEvent, observed: ObservedUpdate): void {
  const outputs = event.resOutputsEvent;
  if (outputs && outputs.metadata.type === "pulumi:pulumi:Stack" && !outputs.planning) {
    const values = (outputs.metadata.new?.outputs ?? {}) as Record<string, unknown>;
    // Engine events show a secret output as this placeholder, never its value.
    observed.outputs = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value, secret: value === "[secret]" }]));
  }
  if (event.summaryEvent) observed.changes = event.summaryEvent.resourceChanges;
}

/**
 * The stack handle for one `up`, answering the SDK's reads after the update from that update's own events: the SDK
 * otherwise runs the CLI three more times (outputs twice, the latest history entry once), about 0.9 s. The version
 * number comes from `updateCount`; when the events carried no outputs, the SDK's own read answers.
 */
function answeredFromEvents(stack: Stack, observed: ObservedUpdate): Stack {
  return Object.create(stack, {
    outputs: { value: async () => observed.outputs ?? stack.outputs() },
    info: { value: async () => undefined },
  }) as Stack;
}

/**
 * Tags the stack with who deployed which release and bundle, where the backend keeps stack tags (Pulumi Cloud, the
 * self-hosted service). The file backend has none; there, each update's recorded spec and message carry the same facts.
 */
async function tagStack(stack: Stack, workspace: PlannerWorkspace, spec: StackSpec): Promise<void> {
  if (/^(file|s3|gs|azblob|postgres):\/\//.test(workspace.backendUrl)) return;
  const tags: Record<string, string | null> = {
    "deployment-planner:deployer": spec.deployer_id,
    "deployment-planner:version": spec.version_name,
    "deployment-planner:bundle": spec.artifact?.digest ?? null,
  };
  for (const [key, value] of Object.entries(tags)) {
    if (value) await stack.setTag(key, value).catch(() => undefined);
  }
}

/** Number of updates in a stack's history, i.e. the version number of its latest update. */
export async function updateCount(workspace: PlannerWorkspace, stackName: string): Promise<number> {
  // A file backend keeps one history file per update; counting them spares a CLI run after every update.
  const dir = fileBackendPath(workspace, "history", PROJECT_NAME, stackName);
  if (dir !== null) {
    const files = await readdir(dir).catch(() => null);
    if (files) return files.filter((f) => f.endsWith(".history.json")).length;
  }
  const stack = await existingStack(workspace, stackName);
  return stack.history().then(
    (all) => all[0]?.version || all.length,
    () => 0,
  );
}

/** Options of `destroyStack`. */
export interface DestroyOptions extends OperationOptions {
  /** Also remove the stack, its history and its config file after its resources are gone. */
  readonly removeStack?: boolean;
  /**
   * Destroy a protected (production) stack: its resources are unprotected first. Without it, a protected stack is
   * refused with `ProtectedStackError` and nothing changes.
   */
  readonly force?: boolean;
}

/** Deletes every resource of a stack; with `removeStack`, the stack itself too. Protected stacks need `force`. */
export async function destroyStack(stackName: string, options: DestroyOptions): Promise<DestroyResult> {
  return inStackQueue(options.workspace, stackName, async () => {
    const spec = await readStackSpec(options.workspace.stacksDir, stackName);
    if (spec?.protect && options.force !== true) throw new ProtectedStackError(stackName, spec.tier);
    const stack = await existingStack(options.workspace, stackName);
    if (options.force === true) {
      // Pulumi refuses to delete a protected resource; a forced destroy lifts the protection the program set.
      await runEngine("destroy", stackName, options, () =>
        engineCommandFor(options.workspace.toolchain).run(["state", "unprotect", "--all", "--yes", "--stack", stackName], options.workspace.dir, {
          ...options.workspace.envVars,
          ...(options.workspace.pulumiHome ? { PULUMI_HOME: options.workspace.pulumiHome } : {}),
        }),
      );
    }
    const result = await runEngine("destroy", stackName, options, async (hooks) => {
      await repairInterruptedUpdate(options.workspace, stackName, stack);
      const destroyed = await stack.destroy({
        ...OPERATION_FLAGS.destroy,
        signal: options.signal,
        message: options.message,
        onOutput: hooks.onOutput,
        onEvent: hooks.onEvent,
      });
      return { changeSummary: normalizeSummary(destroyed.summary.resourceChanges), logFile: hooks.logFile };
    });
    if (options.removeStack) {
      await stack.workspace.removeStack(stackName);
      forgetStack(options.workspace, stackName);
      await rm(stackConfigPath(options.workspace.stacksDir, stackName), { force: true });
    }
    return { stack: stackName, ...result, stackRemoved: options.removeStack === true };
  });
}

/** Reconciles a stack's state with what really runs (a release that died is noticed here). */
export async function refreshStack(stackName: string, options: OperationOptions): Promise<RefreshResult> {
  return inStackQueue(options.workspace, stackName, async () => {
    const stack = await existingStack(options.workspace, stackName);
    return runEngine("refresh", stackName, options, async (hooks) => {
      await repairInterruptedUpdate(options.workspace, stackName, stack);
      const refreshed = await stack.refresh({
        ...OPERATION_FLAGS.refresh,
        signal: options.signal,
        message: options.message,
        onOutput: hooks.onOutput,
        onEvent: hooks.onEvent,
      });
      return {
        stack: stackName,
        changeSummary: normalizeSummary(refreshed.summary.resourceChanges),
        logFile: hooks.logFile,
      };
    });
  });
}

/** The stack's current outputs. */
export async function stackOutputs(stackName: string, options: Pick<OperationOptions, "workspace">): Promise<StackOutputs> {
  const stack = await existingStack(options.workspace, stackName);
  try {
    return plainOutputs(await stack.outputs());
  } catch (error) {
    throw classifyEngineError(error, stackName, false);
  }
}

/** The stack's update history, newest first. */
export async function stackHistory(
  stackName: string,
  options: Pick<OperationOptions, "workspace"> & { readonly limit?: number },
): Promise<HistoryEntry[]> {
  const stack = await existingStack(options.workspace, stackName);
  let updates: UpdateSummary[];
  try {
    updates = await stack.history(options.limit);
  } catch (error) {
    throw classifyEngineError(error, stackName, false);
  }
  // The file backend of this engine version does not number updates; their position in the history does.
  const total = options.limit === undefined ? updates.length : await stack.history().then((all) => all.length, () => updates.length);
  return updates.map((update, index) => {
    const spec = specFromHistoryConfig(update.config as Record<string, { value: string; secret?: boolean }>);
    return {
      version: update.version || total - index,
      kind: update.kind,
      result: update.result,
      startTime: new Date(update.startTime).toISOString(),
      endTime: update.endTime ? new Date(update.endTime).toISOString() : null,
      message: update.message ?? "",
      deployer: spec?.deployer_id ?? null,
      versionName: spec?.version_name ?? null,
      artifactDigest: spec?.artifact?.digest ?? null,
      target: spec?.target ?? null,
      resourceChanges: normalizeSummary(update.resourceChanges),
      spec,
    };
  });
}

/** The spec currently recorded in a stack's config file. */
export function currentStackSpec(workspace: PlannerWorkspace, stackName: string): Promise<StackSpec | null> {
  return readStackSpec(workspace.stacksDir, stackName);
}

/** Lists the stacks of the workspace's backend that belong to a project. */
export async function listProjectStacks(workspace: PlannerWorkspace, projectId: string): Promise<string[]> {
  const files = await readdir(workspace.stacksDir).catch(() => [] as string[]);
  return files
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && s.startsWith(`${projectId}.`));
}

interface EngineHooks {
  readonly onOutput: (text: string) => void;
  readonly onEvent: (event: EngineEvent) => void;
  readonly logFile: string;
}

/**
 * Runs one engine operation with what every operation needs: a masked log file of the engine's output, progress
 * lines from engine events, waiting out another update's lock, cancellation and typed errors.
 */
async function runEngine<T>(
  operation: keyof typeof OPERATION_FLAGS,
  stack: string,
  options: OperationOptions,
  body: (hooks: EngineHooks) => Promise<T>,
): Promise<T> {
  const masker = options.masker ?? NO_MASK;
  const logDir = path.join(options.workspace.dataDir, "logs", stack);
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${operation}.log`);
  let pendingWrite: Promise<void> = appendFile(logFile, `# ${operation} ${stack}\n`);
  const hooks: EngineHooks = {
    logFile,
    onOutput: (text) => {
      const masked = masker.mask(text);
      pendingWrite = pendingWrite.then(() => appendFile(logFile, masked)).catch(() => undefined);
    },
    onEvent: (event) => {
      options.onEvent?.(event);
      const line = describeEvent(event);
      if (line) options.onProgress?.(masker.mask(line));
    },
  };

  // The Automation API interrupts its own CLI process on abort, so cancelling never touches another operation.
  if (options.signal?.aborted) throw classifyEngineError(new Error("aborted"), stack, true);
  const deadline = Date.now() + (options.lockWaitMs ?? 60_000);
  let locksBroken = 0;
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await body(hooks);
      } catch (error) {
        let typed: AutomationError = classifyEngineError(error, stack, options.signal?.aborted === true);
        if (typed instanceof StackLockedError && !options.signal?.aborted) {
          // A lock whose holder died (a killed deploy) is broken at once instead of being waited out.
          const { broken, held } = await breakStaleLocks(options.workspace, PROJECT_NAME, stack);
          for (const lock of broken) options.onProgress?.(`broke the stale lock of ${stack}: ${lock.reason}`);
          // A holder that died mid-update leaves its engine's provider processes behind.
          if (broken.length > 0) await reapOrphanProviders(options.workspace.toolchain);
          if (broken.length > 0 && locksBroken < 3) {
            locksBroken += broken.length;
            continue;
          }
          const remaining = deadline - Date.now();
          if (remaining > 0) {
            options.onProgress?.(`stack ${stack} is locked by another update; waiting`);
            await delay(Math.min(2000 * (attempt + 1), 10_000, remaining));
            continue;
          }
          typed = new StackLockedError(stack, held.map(describeHolder));
        }
        typed.message = masker.mask(typed.message);
        typed.logFile = logFile;
        const raw = error instanceof Error ? error.message : String(error);
        pendingWrite = pendingWrite.then(() => appendFile(logFile, `\n# error\n${masker.mask(raw)}\n`)).catch(() => undefined);
        throw typed;
      }
    }
  } finally {
    await pendingWrite;
  }
}

/** One progress line for a resource-level engine event, or undefined for events a person need not see. */
export function describeEvent(event: EngineEvent): string | undefined {
  const symbol: Record<string, string> = {
    create: "+",
    update: "~",
    delete: "-",
    replace: "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    same: " ",
    read: ">",
    refresh: "~",
  };
  if (event.resourcePreEvent) {
    const meta = event.resourcePreEvent.metadata;
    if (meta.op === "same" || meta.type === "pulumi:pulumi:Stack") return undefined;
    return `${symbol[meta.op] ?? "*"} ${meta.type} ${resourceName(meta.urn)} ${event.resourcePreEvent.planning ? "(planned " + meta.op + ")" : meta.op + "..."}`;
  }
  if (event.resOutputsEvent) {
    const meta = event.resOutputsEvent.metadata;
    if (meta.op === "same" || meta.type === "pulumi:pulumi:Stack" || event.resOutputsEvent.planning) return undefined;
    return `${symbol[meta.op] ?? "*"} ${meta.type} ${resourceName(meta.urn)} ${meta.op} done`;
  }
  if (event.resOpFailedEvent) {
    const meta = event.resOpFailedEvent.metadata;
    return `! ${meta.type} ${resourceName(meta.urn)} ${meta.op} failed`;
  }
  if (event.diagnosticEvent && event.diagnosticEvent.severity === "error") {
    return `error: ${event.diagnosticEvent.message.trim()}`;
  }
  if (event.summaryEvent) {
    const changes = Object.entries(event.summaryEvent.resourceChanges ?? {})
      .map(([op, n]) => `${n} ${op}`)
      .join(", ");
    return `done in ${event.summaryEvent.durationSeconds}s: ${changes || "no changes"}`;
  }
  return undefined;
}

function resourceName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

function normalizeSummary(summary: OpMap | undefined): ChangeSummary {
  return Object.fromEntries(Object.entries(summary ?? {}).filter(([, n]) => typeof n === "number" && n > 0)) as ChangeSummary;
}

function hasChanges(summary: ChangeSummary): boolean {
  return Object.entries(summary).some(([op, n]) => op !== "same" && n > 0);
}

function plainOutputs(outputs: Record<string, { value: unknown; secret: boolean }>): StackOutputs {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]),
  ) as StackOutputs;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
