import { rm } from "node:fs/promises";
import type { Stack } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../../planner/spec";
import { audited, type AuditSubject } from "../records/index";
import { engineCommandFor } from "./command";
import { hasChanges, normalizeSummary, observeEvent, plainOutputs, plannedStep, type ObservedUpdate } from "./events";
import { runEngine } from "./run";
import {
  ProtectedStackError,
  type DestroyResult,
  type OperationOptions,
  type PlannedStep,
  type PreviewResult,
  type RefreshResult,
  type UpResult,
  readStackSpec,
  stackConfigPath,
  writeStackSpec,
  principalOf,
  type PlannerWorkspace,
} from "../workspace/index";
import { updateCount } from "./history";
import { repairAfterCancel, repairInterruptedUpdate, inStackQueue } from "../backend/index";
import { existingStack, forgetStack, inlineStack } from "./stack-handles";
import { newOperationId, noteMessage, updateMessage, type OperationKind } from "./update-message";

/** Flags of each engine operation, in one table. */
const OPERATION_FLAGS = {
  preview: { color: "never", diff: false },
  up: { color: "never" },
  refresh: { color: "never" },
  destroy: { color: "never" },
} as const;

/**
 * Audits one operation unless the caller audits it as part of a larger one (`audit: false`), under the principal who
 * runs it, and gives it its history message: the caller's (whose note names the larger operation), or one with a note
 * naming this operation, its principal and the id its audit record carries.
 */
function auditedOperation<T>(
  options: OperationOptions,
  subject: AuditSubject & { readonly action: OperationKind | "preview" },
  summary: string,
  run: (message: string) => Promise<T>,
  details?: (result: T) => object,
): Promise<T> {
  const id = newOperationId();
  const by = principalOf(options.actor);
  const message = options.message ?? noteMessage(summary, { operation: subject.action, by, deployer: subject.deployer ?? null, id });
  if (options.audit === false) return run(message);
  return audited(options.workspace.dataDir, { ...subject, actor: by, operation_id: id }, options.masker, () => run(message), details);
}

/**
 * Runs a mutating engine call; when it is cancelled, the stack is cleaned up (a killed engine's lock, orphaned
 * providers, pending operations) before the cancellation reaches the caller.
 */
async function cleanOnCancel<T>(options: OperationOptions, stackName: string, stack: Stack, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (options.signal?.aborted) await repairAfterCancel(options.workspace, stackName, stack);
    throw error;
  }
}

/** Options of `previewStack`. */
export interface PreviewOptions extends OperationOptions {
  /**
   * Leave the stack file as it is (a dry run that must change nothing). By default the preview writes the spec into
   * it, so that a `pulumi preview` by hand shows the same.
   */
  readonly keepStackFile?: boolean;
}

/** Shows what `up` would change for a spec, without changing any resource. */
export async function previewStack(
  spec: StackSpec,
  resolvedSecrets: Readonly<Record<string, string>>,
  options: PreviewOptions,
): Promise<PreviewResult> {
  return auditedOperation(options, specSubject("preview", spec), `preview ${spec.stack}`, () =>
    inStackQueue(options.workspace, spec.stack, async () => {
      const stack = await inlineStack(options.workspace, spec.stack);
      return runEngine("preview", spec.stack, options, async (hooks) => {
        // Written under the stack's mutex, so the file the engine reads is this operation's own.
        if (options.keepStackFile !== true) await writeStackSpec(options.workspace.stacksDir, spec);
        const steps: PlannedStep[] = [];
        const result = await stack.preview({
          ...OPERATION_FLAGS.preview,
          signal: options.signal,
          program: await inlineProgram(spec, resolvedSecrets, options),
          onOutput: hooks.onOutput,
          onEvent: (event) => {
            hooks.onEvent(event);
            const step = plannedStep(event);
            if (step) steps.push(step);
          },
        });
        const changeSummary = normalizeSummary(result.changeSummary);
        return { stack: spec.stack, changeSummary, hasChanges: hasChanges(changeSummary), steps, logFile: hooks.logFile };
      });
    }),
  );
}

/** Deploys a spec: writes it into the stack file, repairs what an interrupted update left, then runs the program inline. */
export async function upStack(
  spec: StackSpec,
  resolvedSecrets: Readonly<Record<string, string>>,
  options: OperationOptions,
): Promise<UpResult> {
  return auditedOperation(
    options,
    specSubject("deploy", spec),
    updateMessage(spec, "deploy"),
    (message) =>
      inStackQueue(options.workspace, spec.stack, async () => {
        const stack = await inlineStack(options.workspace, spec.stack);
        return runEngine("up", spec.stack, options, async (hooks) => {
          const started = Date.now();
          // Written under the stack's mutex, so the spec the engine records in history is this update's own.
          await writeStackSpec(options.workspace.stacksDir, spec);
          const repairs = await repairInterruptedUpdate(options.workspace, spec.stack, stack);
          const observed: ObservedUpdate = {};
          const program = await inlineProgram(spec, resolvedSecrets, options);
          const result = await cleanOnCancel(options, spec.stack, stack, () =>
            answeredFromEvents(stack, observed).up({
              ...OPERATION_FLAGS.up,
              ...(options.refresh === true ? { refresh: true } : {}),
              signal: options.signal,
              program,
              message,
              onOutput: hooks.onOutput,
              onEvent: (event) => {
                observeEvent(event, observed);
                hooks.onEvent(event);
              },
            }),
          );
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
            previousUrl: observed.previousUrl ?? null,
            ...(options.refresh === true ? { drift: observed.drift ?? [] } : {}),
          };
        });
      }),
    (result) => ({ update_version: result.version }),
  );
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
  return auditedOperation(options, { action: "destroy", stack: stackName, actor: null }, `destroy ${stackName}`, (message) =>
    inStackQueue(options.workspace, stackName, async () => {
      const spec = await readStackSpec(options.workspace.stacksDir, stackName);
      if (spec?.protect && options.force !== true) throw new ProtectedStackError(stackName, spec.tier);
      const stack = await existingStack(options.workspace, stackName);
      if (options.force === true) {
        // Pulumi refuses to delete a protected resource; a forced destroy lifts the protection the program set.
        await runEngine("destroy", stackName, options, async () => {
          // The unprotect step reads the checkpoint, so what a crash left is repaired before it.
          await repairInterruptedUpdate(options.workspace, stackName, stack);
          return engineCommandFor(options.workspace.toolchain).run(["state", "unprotect", "--all", "--yes", "--stack", stackName], options.workspace.dir, {
            ...options.workspace.envVars,
            ...(options.workspace.pulumiHome ? { PULUMI_HOME: options.workspace.pulumiHome } : {}),
          });
        });
      }
      const result = await runEngine("destroy", stackName, options, async (hooks) => {
        const repairs = await repairInterruptedUpdate(options.workspace, stackName, stack);
        const destroyed = await cleanOnCancel(options, stackName, stack, () =>
          stack.destroy({
            ...OPERATION_FLAGS.destroy,
            signal: options.signal,
            message,
            onOutput: hooks.onOutput,
            onEvent: hooks.onEvent,
          }),
        );
        return { changeSummary: normalizeSummary(destroyed.summary.resourceChanges), logFile: hooks.logFile, repairs };
      });
      if (options.removeStack) {
        await stack.workspace.removeStack(stackName);
        forgetStack(options.workspace, stackName);
        await rm(stackConfigPath(options.workspace.stacksDir, stackName), { force: true });
      }
      return { stack: stackName, ...result, stackRemoved: options.removeStack === true };
    }),
  );
}

/** Reconciles a stack's state with what really runs (a release that died is noticed here). */
export async function refreshStack(stackName: string, options: OperationOptions): Promise<RefreshResult> {
  return auditedOperation(options, { action: "refresh", stack: stackName, actor: null }, `refresh ${stackName}`, (message) =>
    inStackQueue(options.workspace, stackName, async () => {
      const stack = await existingStack(options.workspace, stackName);
      return runEngine("refresh", stackName, options, async (hooks) => {
        const repairs = await repairInterruptedUpdate(options.workspace, stackName, stack);
        const refreshed = await cleanOnCancel(options, stackName, stack, () =>
          stack.refresh({
            ...OPERATION_FLAGS.refresh,
            signal: options.signal,
            message,
            onOutput: hooks.onOutput,
            onEvent: hooks.onEvent,
          }),
        );
        return { stack: stackName, changeSummary: normalizeSummary(refreshed.summary.resourceChanges), logFile: hooks.logFile, repairs };
      });
    }),
  );
}

function specSubject(action: "deploy" | "preview", spec: StackSpec): AuditSubject & { readonly action: "deploy" | "preview" } {
  return { action, stack: spec.stack, actor: null, deployer: spec.deployer_id ?? spec.user_id ?? null, version_name: spec.version_name, artifact_digest: spec.artifact?.digest ?? null, target: spec.target };
}

/** The program an engine run executes in this process; its components (and the Pulumi SDK) load with the first run. */
async function inlineProgram(spec: StackSpec, resolvedSecrets: Readonly<Record<string, string>>, options: OperationOptions) {
  const { programFor } = await import("../../stacks/program");
  return programFor(spec, { resolvedSecrets, workspaceDir: options.workspace.dir, trafficStep: options.trafficStep });
}
