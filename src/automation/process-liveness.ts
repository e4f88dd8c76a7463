import { execFile } from "node:child_process";

/**
 * Whether the process `pid` on this host is still the one that recorded itself at `sinceMs` (epoch ms): it exists and
 * did not start after that moment (a later start means the pid was reused by another program). Uses a signal probe
 * and `ps`, so it needs no /proc.
 */
export async function isSameProcess(pid: number, sinceMs: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
  const startedAt = await processStartTime(pid);
  // A small allowance: `ps` reports whole seconds.
  return !(startedAt !== null && Number.isFinite(sinceMs) && startedAt > sinceMs + 2000);
}

/** When a process started, in epoch milliseconds, from `ps`, or null when unknown. */
function processStartTime(pid: number): Promise<number | null> {
  return new Promise((resolve) => {
    execFile("ps", ["-o", "etimes=", "-p", String(pid)], { timeout: 5000 }, (error, stdout) => {
      const seconds = Number(stdout.trim());
      resolve(error || !Number.isFinite(seconds) || stdout.trim() === "" ? null : Date.now() - seconds * 1000);
    });
  });
}
