import { execFile } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import net from "node:net";

/** Pids of live processes whose working directory or command line lies under `root`. */
export async function processesUnder(root: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    const state = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Zombies have exited; they only wait for their parent to reap them.
    if (/^\d+ \(.*\) Z/.test(state)) continue;
    if (cwd.startsWith(root) || cmdline.includes(root)) pids.push(Number(entry));
  }
  return pids;
}

/** True when a TCP connection to the port on loopback is refused. */
export function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** Polls a URL until stopped, counting answers that are not 2xx and requests that fail outright. */
export function startPoller(url: string, intervalMs = 20): { stop(): Promise<{ ok: number; failed: number; failures: string[] }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) ok += 1;
        else {
          failed += 1;
          failures.push(`HTTP ${response.status}`);
        }
      } catch (error) {
        failed += 1;
        failures.push(String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message));
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed, failures: failures.slice(0, 10) };
    },
  };
}

/** Every file under `dir` whose bytes contain `needle` (the scan a secret must pass). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const { readdir: readDir, readFile: read, lstat } = await import("node:fs/promises");
  const hits: string[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries: string[];
    try {
      entries = await readDir(current);
    } catch {
      return;
    }
    for (const name of entries) {
      const full = path.join(current, name);
      const info = await lstat(full).catch(() => null);
      if (!info) continue;
      if (info.isDirectory()) await walk(full);
      else if (info.isFile() && info.size < 50 * 1024 * 1024) {
        const content = await read(full).catch(() => null);
        if (content && content.includes(needle)) hits.push(full);
      }
    }
  };
  await walk(dir);
  return hits;
}

/** One live process as `ps` shows it. */
export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly stat: string;
  readonly args: string;
}

/** Live (non-zombie) processes, from `ps`. */
export function liveProcesses(): Promise<ProcessRow[]> {
  return new Promise((resolve, reject) => {
    execFile("ps", ["-eo", "pid=,ppid=,pgid=,stat=,args="], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      resolve(
        stdout
          .split("\n")
          .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), stat: m[4]!, args: m[5]! }))
          // Zombies have exited; they only wait for a parent to reap them.
          .filter((row) => !row.stat.startsWith("Z")),
      );
    });
  });
}

/** Whether a process belongs to a test root: its working directory or environment names it. */
async function belongsTo(pid: number, root: string): Promise<boolean> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
  if (cwd.startsWith(root)) return true;
  const environ = await readFile(`/proc/${pid}/environ`, "latin1").catch(() => "");
  return environ.includes(root);
}

/**
 * Dynamic-provider shims of this test root whose engine is gone (their parent is no `pulumi` process), with their
 * children: what a killed engine leaves behind, since the engine starts each provider in a group of its own.
 */
export async function orphanedProviders(root: string, rows?: ProcessRow[]): Promise<ProcessRow[]> {
  const all = rows ?? (await liveProcesses());
  const byPid = new Map(all.map((row) => [row.pid, row]));
  const found: ProcessRow[] = [];
  for (const row of all) {
    if (!row.args.includes("pulumi-resource-pulumi-nodejs")) continue;
    const parentCommand = byPid.get(row.ppid)?.args.split(/\s+/)[0] ?? "";
    if (path.basename(parentCommand) === "pulumi") continue;
    if (!(await belongsTo(row.pid, root))) continue;
    found.push(row, ...all.filter((child) => child.ppid === row.pid));
  }
  return found;
}

/** The app's server processes of a local-target stack against what its supervisor accounts for. */
export interface ReleaseAccounting {
  /** Live releases taking traffic (exactly one on a deployed stack). */
  readonly serving: number;
  /** Replaced releases the supervisor keeps warm for a rollback. */
  readonly warm: number;
  /** App server processes under the root that belong to no release the supervisor knows (leaks). */
  readonly unaccounted: string[];
}

/**
 * Matches every process under `root` whose command line matches `appCommand` (and that runs under this stack's
 * supervisor, or under none) to a live release of the stack's supervisor (a release runs in a process group of its
 * own, led by the pid the supervisor reports). Waits up to `graceMs` for replaced releases to exit.
 */
export async function releaseAccounting(root: string, workspaceDir: string, stack: string, appCommand: RegExp, graceMs = 3000): Promise<ReleaseAccounting> {
  const { supervisorStatus } = await import("../../src/components/local/supervisor-client");
  const { localStateDir } = await import("../../src/components/local/release-settings");
  const deadline = Date.now() + graceMs;
  for (;;) {
    const under = new Set(await processesUnder(root));
    const rows = await liveProcesses();
    const status = await supervisorStatus(localStateDir(stack), workspaceDir);
    // Servers that run under another stack's supervisor are that stack's business; orphans count for every stack.
    const parents = new Map(rows.map((row) => [row.pid, row.ppid]));
    const supervisors = new Set(rows.filter((row) => row.args.includes("supervisor.cjs")).map((row) => row.pid));
    const supervisorOf = (pid: number): number | null => {
      for (let current = parents.get(pid); current !== undefined && current > 1; current = parents.get(current)) if (supervisors.has(current)) return current;
      return null;
    };
    const servers = rows.filter((row) => {
      if (!under.has(row.pid) || !appCommand.test(row.args)) return false;
      const owner = supervisorOf(row.pid);
      return owner === null || owner === status?.pid;
    });
    const releases = status?.releases.filter((r) => r.alive) ?? [];
    const groups = new Set(releases.map((r) => r.pid));
    const accounting = {
      serving: releases.filter((r) => !r.warm).length,
      warm: releases.filter((r) => r.warm).length,
      unaccounted: servers.filter((row) => !groups.has(row.pgid)).map((row) => `${row.pid} (pgid ${row.pgid}): ${row.args}`),
    };
    if ((accounting.serving === 1 && accounting.unaccounted.length === 0) || Date.now() >= deadline) return accounting;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
