import { appendFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describeEvent } from "./events";
import {
  cancellationCause,
  classifyEngineError,
  OperationCancelledError,
  StackLockedError,
  type AutomationError,
  delay,
  type OperationOptions,
  type TextMasker,
  PROJECT_NAME,
} from "../workspace/index";
import { waitForFreeLock, describeHolder, lockHolders } from "../backend/index";
import { withProviderHost } from "./provider-hosting";

const NO_MASK: TextMasker = { mask: (text) => text };

/** Default of `OperationOptions.lockWaitMs`. */
export const DEFAULT_LOCK_WAIT_MS = 300_000;

/** The engine operations, by the name their log files and messages use. */
export type EngineOperation = "preview" | "up" | "refresh" | "destroy";

/** What an operation's body hands the Automation API: where output and events go. */
export interface EngineHooks {
  readonly onOutput: (text: string) => void;
  readonly onEvent: (event: EngineEvent) => void;
  readonly logFile: string;
}

/**
 * Runs one engine operation with what every operation needs: a masked log file of the engine's output, progress
 * lines from engine events, the stack's lock and lease (the workspace's `StateBackend`) for the whole body, waiting
 * (bounded by `lockWaitMs`) for another operation, cancellation and typed errors. `body` may run more than once when a process outside this product
 * takes the engine's lock between the wait and the engine's start.
 */
export async function runEngine<T>(
  operation: EngineOperation,
  stack: string,
  options: OperationOptions,
  body: (hooks: EngineHooks) => Promise<T>,
): Promise<T> {
  const masker = options.masker ?? NO_MASK;
  const log = await openEngineLog(options, stack, operation, masker);
  const hooks: EngineHooks = {
    logFile: log.file,
    onOutput: log.write,
    onEvent: (event) => {
      options.onEvent?.(event);
      const line = describeEvent(event);
      if (line) options.onProgress?.(masker.mask(line));
    },
  };
  const deadline = Date.now() + (options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  const readableLocks = options.workspace.stateBackend.reader !== null;
  let engineStarted = false;
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        // The Automation API interrupts only its own CLI process on abort, so cancelling never touches another stack.
        if (options.signal?.aborted) throw new OperationCancelledError(stack);
        const wait = { deadline, signal: options.signal, onProgress: options.onProgress };
        const mutex = await options.workspace.stateBackend.acquireStackLock(stack, wait);
        try {
          // Under the mutex only a plain `pulumi` run or a killed engine can still hold the engine's own lock.
          await waitForFreeLock(options.workspace, stack, wait);
          engineStarted = true;
          return await withProviderHost(options.workspace, () => body(hooks));
        } finally {
          await mutex.release();
        }
      } catch (error) {
        let typed: AutomationError = classifyEngineError(error, stack, options.signal?.aborted === true);
        if (typed instanceof StackLockedError && typed.holders.length === 0 && !options.signal?.aborted) {
          // Another process took the lock between the wait and the engine's start: wait again, within the deadline.
          if (Date.now() < deadline) {
            await delay(readableLocks ? 50 + Math.random() * 200 : Math.min(2000 * (attempt + 1), 10_000, deadline - Date.now()), options.signal);
            continue;
          }
          typed = new StackLockedError(stack, (await lockHolders(options.workspace, PROJECT_NAME, stack)).map(describeHolder));
        }
        if (typed instanceof OperationCancelledError) {
          // The engine's own report of an interrupt is an exit code and empty output: say in words who stopped what.
          typed = new OperationCancelledError(stack, {
            operation,
            cause: cancellationCause(options.signal),
            during: engineStarted ? "while the engine was running (stage deploy)" : "while waiting for another operation on the stack (stage deploy)",
          });
          typed.message = masker.mask(typed.message);
          typed.logFile = log.file;
          log.write(`\n# cancelled\n${typed.message}\n${engineStderr(error)}`);
          throw typed;
        }
        typed.message = masker.mask(typed.message);
        typed.logFile = log.file;
        log.write(`\n# error\n${error instanceof Error ? error.message : String(error)}\n`);
        throw typed;
      }
    }
  } finally {
    await log.close();
  }
}

/** What an interrupted engine wrote on stderr, when it wrote anything, for the log after the cancellation's reason. */
function engineStderr(error: unknown): string {
  const stderr = (error as { commandResult?: { stderr?: unknown } } | null)?.commandResult?.stderr;
  return typeof stderr === "string" && stderr.trim() !== "" ? `engine output on stderr:\n${stderr.trimEnd()}\n` : "";
}

/** An operation's log file: the engine's output, masked, written in order. */
interface EngineLog {
  readonly file: string;
  write(text: string): void;
  close(): Promise<void>;
}

async function openEngineLog(options: OperationOptions, stack: string, operation: EngineOperation, masker: TextMasker): Promise<EngineLog> {
  const dir = path.join(options.workspace.dataDir, "logs", stack);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${operation}.log`);
  let pending: Promise<void> = appendFile(file, `# ${operation} ${stack}\n`);
  return {
    file,
    write(text) {
      const masked = masker.mask(text);
      pending = pending.then(() => appendFile(file, masked)).catch(() => undefined);
    },
    close: () => pending,
  };
}
