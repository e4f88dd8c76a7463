/**
 * Running whole commands for the benches: to completion with their wall and CPU time, and the `deployment-planner`
 * CLI as users start it (the compiled package on the package's own Node.js 22).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { msSince, sleep } from "./stats";

/** The package's root directory. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/** The CLI's entry point, as `npx deployment-planner` runs it. */
export const CLI_BIN = path.join(PACKAGE_ROOT, "bin", "deployment-planner.cjs");

/** GNU time: prints a child's user and system CPU seconds (its waited-for descendants included). */
export const GNU_TIME = "/usr/bin/time";

/**
 * The Node.js the CLI runs on: the package's own Node.js 22 (`node_modules/.bin/node`, what `npx` puts first on PATH),
 * else the one running the bench.
 */
export function cliNode(): string {
  const own = path.join(PACKAGE_ROOT, "node_modules", ".bin", "node");
  return existsSync(own) ? own : process.execPath;
}

/** One finished command: wall time, CPU time (zero when not measured) and what it printed on stdout. */
export interface Measured {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly stdout: string;
}

/** Options of `runCommand`. */
export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Measure the CPU time under GNU time (the command and the children it waited for). */
  readonly cpu?: boolean;
  /** Killed (and rejected) after this long; default two minutes. */
  readonly timeoutMs?: number;
}

/** Runs a command to completion; rejects on a non-zero exit or at its timeout, with what it printed. */
export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const [file, argv] = options.cpu ? [GNU_TIME, ["-f", "cpu %U %S", command, ...args]] : [command, [...args]];
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = msSince(started);
      const cpu = /cpu (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/.exec(stderr);
      if (code !== 0 || (options.cpu && !cpu)) return reject(new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${stdout}\n${stderr}`));
      resolve({ wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : 0, stdout });
    });
  });
}

/**
 * Stops processes that still name `root` on their command line (a site's supervisor, a release's server, an engine
 * a killed command left): SIGTERM, three seconds, SIGKILL. Returns the process ids it found.
 */
export async function stopProcessesUnder(root: string): Promise<number[]> {
  const left: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    const state = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (cmdline.includes(root) && !/^\d+ \(.*\) Z/.test(state)) left.push(Number(entry));
  }
  if (left.length === 0) return left;
  const signal = (name: NodeJS.Signals) => {
    for (const pid of left) {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone.
      }
    }
  };
  signal("SIGTERM");
  await sleep(3_000);
  signal("SIGKILL");
  return left;
}
