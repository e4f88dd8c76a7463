/**
 * A long-running `deployment-planner` process (`serve`, `worker`): its stderr kept to wait for a line and explain a
 * failure; paused and resumed with SIGSTOP / SIGCONT; stopped with SIGTERM, a bounded wait, then SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { CLI_BIN, cliNode } from "./processes";
import { sleep } from "./stats";

/** A started CLI process. */
export class CliProcess {
  readonly child: ChildProcess;
  private stderr = "";
  private readonly exited: Promise<number | null>;
  private paused = false;

  constructor(
    readonly label: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(cliNode(), [CLI_BIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** The process id; throws when the process could not be started. */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} did not start:\n${this.stderr.slice(-3000)}`);
    return this.child.pid;
  }

  private get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in its stderr; fails when it exits first or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stderr);
      if (match) return match;
      if (!this.running) throw new Error(`${this.label} exited before it was ready:\n${this.stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.label} was not ready within ${timeoutMs / 1000} s:\n${this.stderr.slice(-3000)}`);
      await sleep(100);
    }
  }

  /** Freezes it (SIGSTOP): a paused worker claims no job. */
  pause(): void {
    if (!this.running || this.paused) return;
    this.child.kill("SIGSTOP");
    this.paused = true;
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(): void {
    if (!this.running || !this.paused) return;
    this.child.kill("SIGCONT");
    this.paused = false;
  }

  /** SIGTERM (a paused process is resumed first, so it can act on it), a bounded wait, then SIGKILL. */
  async stop(graceMs = 60_000): Promise<void> {
    if (!this.running) return;
    this.resume();
    this.child.kill("SIGTERM");
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      console.log(`${this.label} did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}
