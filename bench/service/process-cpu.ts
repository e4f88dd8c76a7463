import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";

/**
 * CPU time as the kernel accounts it in `/proc/<pid>/stat`: a process's own user and system time (utime, stime) and
 * that of the children it has waited for, theirs included recursively (cutime, cstime). A worker waits for every
 * `pulumi` CLI run it starts, and the engine waits for the plugin processes it starts (the language host, the
 * program, a dynamic provider), so one reading covers all of a deployment's processes once they have ended. A
 * process started detached and left running (a local site's supervisor) is not counted: it serves, it does not deploy.
 */

let ticksPerSecond: number | undefined;

/** Clock ticks per second of those counters (`getconf CLK_TCK`), asked once. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  const answer = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 10_000 });
  const ticks = Number(answer.stdout?.trim());
  if (answer.status !== 0 || !Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK answered ${JSON.stringify(answer.stdout)} (exit ${answer.status})`);
  return (ticksPerSecond = ticks);
}

/** CPU-seconds `pid` has used so far, with its waited-for children: (utime + stime + cutime + cstime) / CLK_TCK. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => {
    throw new Error(`process ${pid} has ended: its CPU time can no longer be read`);
  });
  // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Field n of proc(5) is at index n - 3 here: utime 14, stime 15, cutime 16, cstime 17.
  const ticks = [11, 12, 13, 14].map((index) => Number(fields[index]));
  if (ticks.some((value) => !Number.isFinite(value))) throw new Error(`unexpected /proc/${pid}/stat: ${stat.slice(0, 200)}`);
  return ticks.reduce((sum, value) => sum + value, 0) / clockTicksPerSecond();
}

/** The CPU-seconds several processes have used so far, in the order given. */
export function cpuSecondsOf(pids: readonly number[]): Promise<number[]> {
  return Promise.all(pids.map(processCpuSeconds));
}
