import { readFile, readdir } from "node:fs/promises";

/**
 * Counts the dynamic-provider processes the engine starts for one run of the bench (a `node …/cmd/dynamic-provider`
 * whose environment names the run's directory), by looking at /proc a few times a second. It shows which way the
 * engine reached the providers in a round: one such process per update in `process` mode, none once the worker serves
 * them itself. A process that lives shorter than the interval may be missed; one loading the SDK lives far longer.
 */
export class ProviderProcessCounter {
  private readonly seen = new Set<number>();
  private readonly counted = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;

  constructor(
    /** A path every process of the run has in its environment (the run's directory). */
    private readonly marker: string,
    private readonly intervalMs = 200,
  ) {}

  /** Starts counting from zero. */
  start(): void {
    this.stop();
    this.seen.clear();
    this.counted.clear();
    this.timer = setInterval(() => void this.scan(), this.intervalMs);
  }

  /** Stops counting; the number of provider processes seen since `start`. */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.counted.size;
  }

  private async scan(): Promise<void> {
    // A slow scan is not overlapped by the next one.
    if (this.scanning) return;
    this.scanning = true;
    try {
      for (const entry of await readdir("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const pid = Number(entry);
        if (this.seen.has(pid)) continue;
        const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        // A process that has only forked but not yet executed its command is looked at again on the next scan.
        if (cmdline === "" || cmdline.startsWith("/bin/sh")) continue;
        this.seen.add(pid);
        // The provider's script path as an argument; the launcher's `node -e` probe only names the module in its code.
        if (!cmdline.split("\0").some((arg) => /\/cmd\/dynamic-provider(\/index\.js)?$/.test(arg))) continue;
        const environ = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
        if (environ.includes(this.marker)) this.counted.add(pid);
      }
    } catch {
      // /proc unreadable: nothing is counted, and the report says 0.
    } finally {
      this.scanning = false;
    }
  }
}
