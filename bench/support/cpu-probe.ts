/**
 * Where a deployment's CPU goes, process by process, without changing how the deployment runs:
 *
 * - a directory put first on PATH holds wrappers for `pulumi` and `pulumi-resource-pulumi-nodejs` that exec the real
 *   binaries under GNU time, each appending `<kind> <start epoch s> <wall s> <user s> <system s> <command line>` to a
 *   log (the toolchain check accepts the directory: it holds the toolchain's marker files and its language host);
 * - `NODE_OPTIONS=--require <hook>` makes every Node process that inherits the environment append its own
 *   `process.cpuUsage()` and argv to a second log on exit (and every half second, for processes that live on);
 * - processes started detached with a reduced environment (the local target's supervisor and its release servers)
 *   are read from /proc.
 */
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { verifiedVersionsFile } from "../../src/toolchain/cli-version";
import { defaultCacheRoot, ensurePulumi, type PulumiToolchain } from "../../src/toolchain/pulumi";
import { GNU_TIME } from "./processes";

/** One run of a wrapped binary, from the GNU time log. */
export interface WrappedRun {
  readonly kind: "pulumi" | "provider";
  /** Epoch milliseconds at its start. */
  readonly startMs: number;
  readonly wallMs: number;
  /** User + system CPU of the process and the children it waited for. */
  readonly cpuMs: number;
  /** Its arguments (the binary's path left out). */
  readonly args: readonly string[];
}

/** A Node process's own CPU time (children excluded), as its last report gave it. */
export interface NodeProcessCpu {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly startMs: number;
  readonly cpuMs: number;
}

/** A long-lived detached process's CPU time so far, read from /proc. */
export interface DetachedCpu {
  readonly pid: number;
  readonly label: "supervisor" | "static server" | "other detached";
  readonly cpuMs: number;
}

/** The wrappers, the hook and their logs. */
export interface CpuProbe {
  /** The real toolchain the wrappers run. */
  readonly toolchain: PulumiToolchain;
  /** The environment for a measured process: wrappers first on PATH, the hook in NODE_OPTIONS. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  wrappedRuns(): Promise<WrappedRun[]>;
  nodeProcesses(): Promise<NodeProcessCpu[]>;
  /** Removes the wrappers, the logs and the toolchain check's remembered answer for the wrapper. */
  close(): Promise<void>;
}

const HOOK = `"use strict";
// Appends this process's own CPU time and argv to BENCH_CPU_LOG on exit, and every half second meanwhile.
const { appendFileSync } = require("node:fs");
const log = process.env.BENCH_CPU_LOG;
if (log) {
  const startedMs = Date.now() - process.uptime() * 1000;
  const report = (final) => {
    const usage = process.cpuUsage();
    const line = { pid: process.pid, argv: process.argv.slice(1), startedMs, cpuMs: (usage.user + usage.system) / 1000, final };
    try {
      appendFileSync(log, JSON.stringify(line) + "\\n");
    } catch {}
  };
  process.on("exit", () => report(true));
  setInterval(() => report(false), 500).unref();
}
`;

/** A bash wrapper that runs `real` under GNU time, appending one line per run to `log`. */
function wrapper(kind: WrappedRun["kind"], real: string, log: string): string {
  return `#!/bin/bash\nexec ${GNU_TIME} -a -o '${log}' -f "${kind} \${EPOCHREALTIME/,/.} %e %U %S %C" '${real}' "$@"\n`;
}

/** Makes the wrapper directory and the hook under a new temp directory. */
export async function openCpuProbe(env: NodeJS.ProcessEnv): Promise<CpuProbe> {
  const toolchain = await ensurePulumi({ env });
  const root = await mkdtemp(path.join(os.tmpdir(), "dp-bench-cpu-probe-"));
  const binDir = path.join(root, "bin");
  await mkdir(binDir);
  const timeLog = path.join(root, "time.log");
  const nodeLog = path.join(root, "node.log");
  await writeFile(timeLog, "");
  await writeFile(nodeLog, "");
  await writeFile(path.join(binDir, "pulumi"), wrapper("pulumi", toolchain.cliPath, timeLog), { mode: 0o755 });
  const shim = "pulumi-resource-pulumi-nodejs";
  // The wrapper runs a copy of the shim: a live provider's parent here is GNU time, not its engine, and processes that
  // stop the cached toolchain's providers whose engine is gone find them by the shim's path.
  const shimCopy = path.join(root, "provider", shim);
  await mkdir(path.dirname(shimCopy));
  await copyFile(path.join(toolchain.binDir, shim), shimCopy);
  await chmod(shimCopy, 0o755);
  await writeFile(path.join(binDir, shim), wrapper("provider", shimCopy, timeLog), { mode: 0o755 });
  // The toolchain check reads these markers and looks for the language host beside the CLI.
  for (const marker of ["BUILD-INFO", "LANGUAGE-HOST"]) await copyFile(path.join(toolchain.binDir, marker), path.join(binDir, marker)).catch(() => undefined);
  if (toolchain.languageHost.path) await symlink(toolchain.languageHost.path, path.join(binDir, "pulumi-language-nodejs"));
  const hook = path.join(root, "cpu-hook.cjs");
  await writeFile(hook, HOOK);

  return {
    toolchain,
    env: (base) => ({
      ...base,
      PATH: [binDir, base.PATH ?? ""].join(path.delimiter),
      NODE_OPTIONS: `--require ${hook}`,
      BENCH_CPU_LOG: nodeLog,
    }),
    wrappedRuns: async () => parseTimeLog(await readFile(timeLog, "utf8")),
    nodeProcesses: async () => parseNodeLog(await readFile(nodeLog, "utf8")),
    close: async () => {
      await forgetVerifiedCli(env, path.join(binDir, "pulumi"));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** GNU time's lines (it adds lines of its own, "Command exited with non-zero status", which are skipped). */
function parseTimeLog(text: string): WrappedRun[] {
  const runs: WrappedRun[] = [];
  for (const line of text.split("\n")) {
    const match = /^(pulumi|provider) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\S+)(.*)$/.exec(line);
    if (!match) continue;
    runs.push({
      kind: match[1] as WrappedRun["kind"],
      startMs: Number(match[2]) * 1000,
      wallMs: Number(match[3]) * 1000,
      cpuMs: (Number(match[4]) + Number(match[5])) * 1000,
      args: match[7]!.trim().split(/\s+/).filter(Boolean),
    });
  }
  return runs;
}

/** The last report of each Node process. */
function parseNodeLog(text: string): NodeProcessCpu[] {
  const last = new Map<number, NodeProcessCpu>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { pid: number; argv: string[]; startedMs: number; cpuMs: number };
      const known = last.get(entry.pid);
      if (!known || known.cpuMs <= entry.cpuMs) last.set(entry.pid, { pid: entry.pid, argv: entry.argv, startMs: entry.startedMs, cpuMs: entry.cpuMs });
    } catch {
      // A line cut short by a process killed while writing.
    }
  }
  return [...last.values()];
}

/** The pulumi command a wrapped run was: its leading words (`up`, `stack init`, `version`). */
export function pulumiCommandName(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("-") || words.length === 2) break;
    words.push(arg);
    if (!["stack", "config", "plugin", "state"].includes(arg)) break;
  }
  return words.join(" ") || "(no command)";
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The CPU so far of every live supervisor and release server whose command line names `root`. */
export async function detachedUnder(root: string): Promise<DetachedCpu[]> {
  const found: DetachedCpu[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    if (!cmdline.includes(root)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the command name (which may hold spaces): state is the 3rd field, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields.length < 13 || fields[0] === "Z") continue;
    const label = cmdline.includes("supervisor.cjs") ? "supervisor" : cmdline.includes("static-server.cjs") ? "static server" : "other detached";
    found.push({ pid: Number(entry), label, cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND });
  }
  return found;
}

/** The toolchain check remembers each CLI path's version; the wrapper's path is gone after the run. */
async function forgetVerifiedCli(env: NodeJS.ProcessEnv, cliPath: string): Promise<void> {
  const stampFile = verifiedVersionsFile(defaultCacheRoot(env));
  const stamps = await readFile(stampFile, "utf8").then((text) => JSON.parse(text) as Record<string, unknown>, () => null);
  if (!stamps || !(cliPath in stamps)) return;
  delete stamps[cliPath];
  const temp = `${stampFile}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(stamps)).then(() => rename(temp, stampFile), () => undefined);
}
