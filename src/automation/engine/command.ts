import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import type { PulumiToolchain } from "../../toolchain/pulumi";

/** How long a cancelled engine gets to finish its running step after the first interrupt. */
export const CANCEL_GRACE_MS = 2_000;
/** How long an engine may take to exit after the second interrupt before it is killed. */
export const CANCEL_KILL_AFTER_MS = 20_000;

/** The SDK's result and error types of a CLI run; the Automation API types its errors from them. */
interface SdkCommandTypes {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
  createCommandError: (result: unknown) => Error;
  parseVersion: (version: string) => unknown;
}

function sdkCommandTypes(): SdkCommandTypes {
  const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
  const automation = sdkRequire("./automation") as Partial<SdkCommandTypes>;
  const semver = sdkRequire("semver") as { parse(version: string): unknown };
  if (typeof automation.CommandResult !== "function" || typeof automation.createCommandError !== "function") {
    throw new Error("this @pulumi/pulumi does not expose CommandResult and createCommandError");
  }
  return { CommandResult: automation.CommandResult, createCommandError: automation.createCommandError, parseVersion: (v) => semver.parse(v) };
}

/** A handle on the CLI in the shape the Automation API calls (`command`, `version`, `run`). */
export interface EngineCommand {
  readonly command: string;
  readonly version: unknown;
  /** Runs one CLI command; rejects with the SDK's typed `CommandError`s on a non-zero exit. */
  run(
    args: string[],
    cwd: string,
    additionalEnv: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
  ): Promise<unknown>;
}

/** The handle as the SDK's `LocalWorkspace` takes it: the SDK's type declares `run` internal. */
export function asSdkCommand(command: EngineCommand): PulumiCommand {
  return command as unknown as PulumiCommand;
}

/**
 * The Automation API's handle on the toolchain's CLI, running each command itself so that cancelling ends the update
 * promptly and touches only that command's own process: an abort interrupts the CLI (it stops scheduling steps),
 * a second interrupt after `CANCEL_GRACE_MS` makes it cancel the step in flight, and a process still running
 * `CANCEL_KILL_AFTER_MS` later is killed. The SDK's own handle sends a single interrupt, after which the engine waits
 * for the running step, however long it takes. It also spares the SDK's lookup, which runs `pulumi version` again.
 */
export function engineCommandFor(toolchain: PulumiToolchain): EngineCommand {
  const sdk = sdkCommandTypes();
  const command = toolchain.cliPath;
  return {
    command,
    version: sdk.parseVersion(toolchain.version),
    run(args, cwd, additionalEnv, onOutput, onError, signal) {
      // As the SDK does: never prompt, the toolchain's own directory first on PATH, and tell the CLI who runs it.
      const fullArgs = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
      const env = {
        ...process.env,
        ...additionalEnv,
        PATH: [path.dirname(command), additionalEnv.PATH ?? process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_AUTOMATION_API: "true",
      };
      return new Promise((resolve, reject) => {
        const child = spawn(command, fullArgs, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
          const text = chunk.toString();
          stdout += text;
          onOutput?.(text);
        });
        child.stderr.on("data", (chunk: Buffer) => {
          const text = chunk.toString();
          stderr += text;
          onError?.(text);
        });
        const timers: NodeJS.Timeout[] = [];
        const cancel = () => {
          child.kill("SIGINT");
          timers.push(
            setTimeout(() => child.kill("SIGINT"), CANCEL_GRACE_MS),
            setTimeout(() => child.kill("SIGKILL"), CANCEL_GRACE_MS + CANCEL_KILL_AFTER_MS),
          );
        };
        if (signal?.aborted) cancel();
        else signal?.addEventListener("abort", cancel, { once: true });
        const settle = () => {
          for (const timer of timers) clearTimeout(timer);
          signal?.removeEventListener("abort", cancel);
        };
        child.on("error", (error) => {
          settle();
          reject(sdk.createCommandError(new sdk.CommandResult(stdout, error.message, -2, error)));
        });
        child.on("close", (code, killedBy) => {
          settle();
          const exitCode = code ?? (killedBy ? 128 : 1);
          const result = new sdk.CommandResult(stdout, stderr, exitCode);
          if (exitCode === 0) resolve(result);
          else reject(sdk.createCommandError(result));
        });
      });
    },
  };
}
