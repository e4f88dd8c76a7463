import { execFile } from "node:child_process";
import path from "node:path";
import type { PulumiToolchain } from "../../toolchain/pulumi";

/** The shim through which the engine starts a dynamic provider (a shell script, then the SDK's provider in Node). */
const DYNAMIC_PROVIDER_SHIM = "pulumi-resource-pulumi-nodejs";

interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly args: string;
}

function processTable(): Promise<ProcessRow[]> {
  return new Promise((resolve) => {
    execFile("ps", ["-eo", "pid=,ppid=,args="], { timeout: 5000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout) => {
      if (error) return resolve([]);
      const rows = stdout
        .split("\n")
        .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
      resolve(rows);
    });
  });
}

/**
 * Stops dynamic-provider processes of this toolchain whose engine is gone. The engine starts each provider in a
 * process group of its own, so killing a deploy's whole group (a crash, `kill -9`) leaves the provider running with
 * no engine to answer; a live provider's parent is always its `pulumi` engine. Uses `ps`, so it needs no /proc.
 * Returns the pids stopped.
 */
export async function reapOrphanProviders(toolchain: PulumiToolchain): Promise<number[]> {
  const shim = path.join(toolchain.binDir, DYNAMIC_PROVIDER_SHIM);
  const rows = await processTable();
  const byPid = new Map(rows.map((row) => [row.pid, row]));
  const reaped: number[] = [];
  for (const row of rows) {
    if (!row.args.includes(shim)) continue;
    const parent = byPid.get(row.ppid);
    const parentCommand = parent?.args.split(/\s+/)[0] ?? "";
    if (path.basename(parentCommand) === "pulumi") continue;
    for (const victim of [...rows.filter((child) => child.ppid === row.pid).map((child) => child.pid), row.pid]) {
      try {
        process.kill(victim, "SIGKILL");
        reaped.push(victim);
      } catch {
        // Already gone.
      }
    }
  }
  return reaped;
}
