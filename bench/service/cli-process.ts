import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** The package's CLI entry point, as an operator starts it. */
const BIN = path.resolve(__dirname, "..", "..", "bin", "deployment-planner.cjs");

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A `deployment-planner` CLI process: its stderr kept (the tail) to wait for a line and to explain a failure. */
export class CliProcess {
  readonly child: ChildProcess;
  private stderr = "";
  private readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** The process id; throws when the process could not be started. */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} did not start:\n${this.stderr.slice(-3000)}`);
    return this.child.pid;
  }

  /** The first match of `pattern` in its stderr; fails when it exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stderr);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.label} exited before it was ready:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.label} was not ready within ${timeoutMs / 1000} s:\n${this.stderr.slice(-3000)}`);
      await sleep(100);
    }
  }

  /** SIGTERM, a bounded wait (a worker finishes what it runs), then SIGKILL. */
  async stop(graceMs = 60_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      console.log(`${this.label} did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}
