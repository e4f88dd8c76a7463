import { spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, stat } from "node:fs/promises";

/** Options of `runTool`. */
export interface RunToolOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The process is terminated after this long. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Each complete line of output (stdout and stderr), for progress. */
  readonly onLine?: (line: string) => void;
}

/** Exit code and the last 64 KiB of combined output of a tool run. */
export interface RunToolResult {
  readonly code: number;
  readonly output: string;
}

/**
 * Runs a build tool (go, a CLI's `version`) to completion, keeping the tail of its output for error messages and
 * reporting lines as they come. Rejects only when the tool cannot be started.
 */
export function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<RunToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let pending = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-64 * 1024);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onLine?.(line);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs);
    const onAbort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    child.on("error", (error) => {
      settle();
      reject(error);
    });
    child.on("close", (code) => {
      settle();
      resolve({ code: code ?? 1, output });
    });
  });
}

/** True when `file` is an executable regular file. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Options of `runGoBuild`. */
export interface GoBuildOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** A line every 200 compiled packages, so a build of several minutes shows it is alive. */
  readonly onProgress: (line: string) => void;
}

/** Runs `go build -v -trimpath <args>` (bounded to an hour) and reports progress as packages compile. */
export function runGoBuild(args: readonly string[], options: GoBuildOptions): Promise<RunToolResult> {
  let compiled = 0;
  return runTool("go", ["build", "-v", "-trimpath", ...args], {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: 60 * 60_000,
    signal: options.signal,
    onLine: () => {
      compiled += 1;
      if (compiled % 200 === 0) options.onProgress(`compiled ${compiled} packages`);
    },
  });
}
