/**
 * One `deployment-planner` command as a user runs it (a fresh process of the compiled CLI), measured: wall time, CPU
 * time of the process and the children it waited for (GNU time), and, when asked, how long until the first URL it
 * prints answers 200 (polled from the moment the URL appears in its output).
 */
import { spawn } from "node:child_process";
import { GNU_TIME, CLI_BIN, cliNode } from "./processes";
import { firstOk } from "./http";

/** A finished CLI run. */
export interface CliRun {
  /** Epoch milliseconds at the spawn and at the exit. */
  readonly startMs: number;
  readonly endMs: number;
  readonly wallMs: number;
  /** User + system CPU of the CLI and every child it waited for (engine runs included). */
  readonly cpuMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the spawn to the first 200 from its URL (when `waitForUrl`). */
  readonly firstUrlMs?: number;
  readonly url?: string;
}

/** Options of `runCli`. */
export interface CliRunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Poll the first http URL the command prints until it answers 200. */
  readonly waitForUrl?: boolean;
  /** Killed (and rejected) after this long; default three minutes. */
  readonly timeoutMs?: number;
}

const URL_IN_OUTPUT = /https?:\/\/127\.0\.0\.1:\d+/;

/** Runs `deployment-planner <args>` to completion; rejects on a non-zero exit, a timeout, or a URL that never serves. */
export function runCli(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const startMs = Date.now();
    const started = performance.now();
    // GNU time's figures go to its own stderr line, the last one.
    const child = spawn(GNU_TIME, ["-f", "cpu %U %S", cliNode(), CLI_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let url: string | undefined;
    let served: Promise<number> | undefined;
    let exitedAtMs = Number.POSITIVE_INFINITY;
    const watch = () => {
      if (!options.waitForUrl || url) return;
      url = URL_IN_OUTPUT.exec(stdout)?.[0] ?? URL_IN_OUTPUT.exec(stderr)?.[0];
      // Polling goes on for a few seconds past the exit: a deploy may end as its URL starts serving.
      if (url) served = firstOk(url, options.timeoutMs ?? 180_000, 20, () => performance.now() - exitedAtMs < 10_000);
      served?.catch(() => undefined);
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      watch();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      watch();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      exitedAtMs = performance.now();
      const endMs = Date.now();
      const wallMs = performance.now() - started;
      const cpu = /cpu (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/.exec(stderr);
      if (code !== 0 || !cpu) return reject(new Error(`deployment-planner ${args.join(" ")} failed (exit ${code}):\n${stdout}\n${stderr.slice(-3000)}`));
      const result = { startMs, endMs, wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000, stdout, stderr: stderr.slice(0, cpu.index), url };
      if (!options.waitForUrl) return resolve(result);
      if (!served) return reject(new Error(`deployment-planner ${args.join(" ")} printed no URL:\n${stdout}`));
      served.then((at) => resolve({ ...result, firstUrlMs: at - started }), reject);
    });
  });
}
