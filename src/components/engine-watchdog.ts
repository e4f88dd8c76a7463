import { execFile } from "node:child_process";

/** How often a provider process checks that its engine still runs. */
const CHECK_INTERVAL_MS = 1_000;

let watching = false;

/**
 * In a dynamic-provider process started by the Pulumi engine, exits once that engine is gone. A killed deploy (a
 * crash, `kill -9` of its process group) takes the engine down but not its providers, which the engine starts in
 * process groups of their own; without this they would wait forever for calls that never come. The engine is the
 * provider's parent, or its grandparent when the SDK's shell shim sits between them (the shim's process is named
 * after the plugin). Does nothing in any other
 * process (a test importing the implementation, the deploying program itself). Needs `ps`, not /proc.
 */
export function exitWhenEngineGone(): void {
  if (watching || !/dynamic-provider/.test(process.argv[1] ?? "")) return;
  watching = true;
  const parent = process.ppid;
  execFile("ps", ["-o", "ppid=,comm=", "-p", String(parent)], { timeout: 5_000 }, (error, stdout) => {
    if (error) return;
    const [grandparent, command] = stdout.trim().split(/\s+/);
    // Started straight by the engine, or through the SDK's shell shim (named after the plugin, not after the shell).
    const engine = command === "pulumi" ? parent : Number(grandparent);
    if (!Number.isInteger(engine) || engine <= 1) return;
    const timer = setInterval(() => {
      try {
        process.kill(engine, 0);
      } catch (probe) {
        if ((probe as NodeJS.ErrnoException).code === "ESRCH") process.exit(0);
        return;
      }
      // A killed engine whose parent died too stays a zombie where nothing reaps orphans (some containers' pid 1).
      execFile("ps", ["-o", "stat=", "-p", String(engine)], { timeout: 5_000 }, (failed, state) => {
        if (!failed && state.trim().startsWith("Z")) process.exit(0);
      });
    }, CHECK_INTERVAL_MS);
    timer.unref();
  });
}
