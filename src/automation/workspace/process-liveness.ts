import { execFile } from "node:child_process";

/**
 * Whether the process `pid` on this host is still the one that recorded itself at `sinceMs` (epoch ms): it exists, is
 * not a zombie (where nothing reaps orphans, a killed process can stay one), and did not start after that moment (a
 * later start means the pid was reused by another program). Uses a signal probe and `ps`, so it needs no /proc.
 */
export async function isSameProcess(pid: number, sinceMs: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
  const info = await processInfo(pid);
  if (info === null) return true;
  if (info.zombie) return false;
  // A small allowance: `ps` reports whole seconds.
  return !(Number.isFinite(sinceMs) && info.startedAt > sinceMs + 2000);
}

/** A process's state from `ps`: whether it is a zombie and when it started (epoch ms); null when unknown. */
function processInfo(pid: number): Promise<{ zombie: boolean; startedAt: number } | null> {
  return new Promise((resolve) => {
    execFile("ps", ["-o", "stat=,etimes=", "-p", String(pid)], { timeout: 5000 }, (error, stdout) => {
      const [stat, elapsed] = stdout.trim().split(/\s+/);
      const seconds = Number(elapsed);
      if (error || !stat || !Number.isFinite(seconds)) return resolve(null);
      resolve({ zombie: stat.startsWith("Z"), startedAt: Date.now() - seconds * 1000 });
    });
  });
}
