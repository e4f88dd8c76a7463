import { readdir, readFile, readlink } from "node:fs/promises";
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
  const path = await import("node:path");
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
