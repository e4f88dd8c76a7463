import { readFile, readdir } from "node:fs/promises";
import { sleep } from "./cli-process";

/** Processes that still name the run's directory (an engine, a site's supervisor): stopped, and said so. */
export async function stopLeftovers(root: string): Promise<void> {
  const left: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    const state = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (cmdline.includes(root) && !/^\d+ \(.*\) Z/.test(state)) left.push(Number(entry));
  }
  if (left.length === 0) return;
  console.log(`stopping ${left.length} process(es) left behind under the run's directory: ${left.join(", ")}`);
  signalAll(left, "SIGTERM");
  await sleep(3_000);
  signalAll(left, "SIGKILL");
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
