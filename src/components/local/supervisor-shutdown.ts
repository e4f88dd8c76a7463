import { execFile } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { shutdownCommand } from "./supervisor-client";

/**
 * Stopping a stack's supervisor and every process of its releases, including what a supervisor that died (killed,
 * crashed) left running. Only processes the stack's own records name are touched, each verified before it is killed:
 * a recorded pid may since belong to another program.
 */

/** How long a supervisor may take to drain and exit before it is killed. */
const SHUTDOWN_WAIT_MS = 15_000;

/** One release as the supervisor records it in `releases.json`. */
interface RecordedRelease {
  readonly id: string;
  readonly pid: number;
  /** The process's start time (clock ticks since boot); absent in records of older supervisors. */
  readonly startTime?: string | null;
}

/** A live process as /proc shows it. */
interface ProcessEntry {
  readonly pid: number;
  readonly group: number;
  readonly startTime: string;
}

/** Whether a process runs (a zombie has exited: it only waits to be reaped). */
export async function processRuns(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat !== null) return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until none of `pids` runs, up to `timeoutMs`; true when they all stopped. */
export async function waitUntilStopped(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = (await Promise.all(pids.map(processRuns))).some(Boolean);
    if (!running) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every live process: pid, process group and start time, from /proc (empty where there is none). */
async function processTable(): Promise<ProcessEntry[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const table = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
        if (stat === null) return null;
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (fields[0] === "Z") return null;
        return { pid: Number(name), group: Number(fields[2]), startTime: fields[19] ?? "" };
      }),
  );
  return table.filter((entry): entry is ProcessEntry => entry !== null);
}

/** Whether a process's environment names the release it was started for (the supervisor sets it for every release). */
async function runsRelease(pid: number, releaseId: string): Promise<boolean> {
  const environ = await readFile(`/proc/${pid}/environ`, "latin1").catch(() => "");
  return `\0${environ}`.includes(`\0DEPLOYMENT_PLANNER_RELEASE_ID=${releaseId}\0`);
}

/**
 * Kills the processes of the releases a stack's supervisor recorded (`<stateDir>/releases.json`) that still run
 * although no supervisor does. A release is the process group the supervisor started it in: the whole group goes
 * when its leader is the recorded process (same start time, environment naming the release); a member whose
 * environment names the release goes on its own when the leader is gone. Returns the pids it killed.
 */
export async function stopRecordedReleases(stateDir: string): Promise<number[]> {
  const file = path.join(stateDir, "releases.json");
  let recorded: RecordedRelease[];
  try {
    recorded = JSON.parse(await readFile(file, "utf8")) as RecordedRelease[];
  } catch {
    return [];
  }
  const table = await processTable();
  const killed: number[] = [];
  for (const entry of Array.isArray(recorded) ? recorded : []) {
    if (!Number.isInteger(entry.pid) || entry.pid <= 1 || typeof entry.id !== "string") continue;
    const members = table.filter((p) => p.group === entry.pid);
    const leader = members.find((p) => p.pid === entry.pid);
    const leaderIsRelease = leader !== undefined && (!entry.startTime || leader.startTime === entry.startTime) && (await runsRelease(leader.pid, entry.id));
    const victims = leaderIsRelease ? members : await filterAsync(members, (p) => runsRelease(p.pid, entry.id));
    for (const victim of victims) {
      try {
        process.kill(victim.pid, "SIGKILL");
        killed.push(victim.pid);
      } catch {
        // Exited meanwhile.
      }
    }
  }
  await waitUntilStopped(killed, 5_000);
  await rm(file, { force: true });
  return killed;
}

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept = await Promise.all(items.map(keep));
  return items.filter((_, index) => kept[index]);
}

/** Asks a live supervisor to stop its releases and exit; kills it if it has not exited in time. */
export async function shutdownSupervisor(stateDir: string, pid: number): Promise<void> {
  await shutdownCommand(stateDir).catch(() => undefined);
  if (!(await waitUntilStopped([pid], SHUTDOWN_WAIT_MS))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
}

/**
 * A supervisor that no longer answers may be dead, or still shutting down (a destroy killed after it asked the
 * supervisor to stop, while requests drain). The pid it recorded is waited for (its port is free only once it
 * exits), and killed if it does not exit in time; a dead one costs no wait. Only a process that is this stack's
 * supervisor (its command line names the supervisor and the state directory) is waited for or killed.
 */
export async function finishDeadSupervisor(stateDir: string): Promise<void> {
  const pid = Number((await readFile(path.join(stateDir, "supervisor.pid"), "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 1 || !(await processRuns(pid))) return;
  const command = await new Promise<string>((resolve) =>
    execFile("ps", ["-o", "args=", "-p", String(pid)], { timeout: 5_000 }, (error, stdout) => resolve(error ? "" : stdout)),
  );
  if (!command.includes("supervisor.cjs") || !command.includes(stateDir)) return;
  if (await waitUntilStopped([pid], SHUTDOWN_WAIT_MS)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Exited meanwhile.
  }
}
