import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const BIN = path.join(__dirname, "..", "..", "bin", "deployment-planner.cjs");

/** A CLI run's exit code and output. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI to completion, killed after `timeoutMs`. */
export function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A running `serve`: its process, address, and its exit. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly address: string;
  readonly exited: Promise<number | null>;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `deployment-planner serve --port 0 <args>`; resolves once it listens, or rejects at once with what it wrote
 * when it exits first (or after `timeoutMs`).
 */
export function startServeProcess(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  let stderr = "";
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not listen within ${timeoutMs / 1000} s: ${stderr}`));
    }, timeoutMs);
    child.once("error", (error) => (clearTimeout(timer), reject(error)));
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`serve exited (${code}) before listening: ${stderr}`))));
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const address = /listening on (http:\/\/[0-9.:]+)/.exec(stderr)?.[1];
      if (!address) return;
      clearTimeout(timer);
      resolve({
        child,
        address,
        exited,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
            await exited;
            clearTimeout(killer);
          }
          return exited;
        },
      });
    });
  });
}
