import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { supervisorStatus } from "../../components/local/supervisor-client";
import { localStateDir } from "../../components/local/release-settings";
import { delay, type PlannerWorkspace } from "../workspace/index";

/** Where a stack's serving release writes its output, and which release that is. */
export interface AppLogSource {
  readonly release: string;
  readonly file: string;
}

/** Most lines `appLogs` returns at once. */
export const MAX_LOG_LINES = 10_000;
/** Most bytes read from the end of a log to find its last lines. */
const TAIL_WINDOW_BYTES = 2 * 1024 * 1024;

/**
 * The log of the release a local-target stack serves (or, when its supervisor is not running, its newest release's),
 * or null when the stack has never run a release here. Its output is masked by the supervisor as it is written.
 */
export async function appLogSource(workspace: PlannerWorkspace, stack: string): Promise<AppLogSource | null> {
  const stateDir = localStateDir(stack);
  const logsDir = path.join(workspace.dir, stateDir, "logs");
  const status = await supervisorStatus(stateDir, workspace.dir);
  if (status?.active) return { release: status.active, file: path.join(logsDir, `${status.active}.log`) };
  const names = (await readdir(logsDir).catch(() => [] as string[])).filter((name) => name.endsWith(".log"));
  const dated = await Promise.all(names.map(async (name) => ({ name, mtime: await stat(path.join(logsDir, name)).then((s) => s.mtimeMs, () => 0) })));
  const newest = dated.sort((a, b) => b.mtime - a.mtime)[0];
  return newest ? { release: newest.name.slice(0, -".log".length), file: path.join(logsDir, newest.name) } : null;
}

/** The last `lines` lines of a stack's app log (at most `MAX_LOG_LINES`), and where reading may go on from. */
export async function appLogTail(workspace: PlannerWorkspace, stack: string, lines = 100): Promise<{ source: AppLogSource; lines: string[]; offset: number } | null> {
  const source = await appLogSource(workspace, stack);
  if (!source) return null;
  const wanted = Math.max(0, Math.min(MAX_LOG_LINES, Math.floor(lines)));
  const handle = await open(source.file, "r").catch(() => null);
  if (!handle) return { source, lines: [], offset: 0 };
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(0, size - TAIL_WINDOW_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const all = buffer.toString("utf8").split("\n");
    if (all[all.length - 1] === "") all.pop();
    // A window that starts mid-line drops that partial first line.
    if (start > 0) all.shift();
    return { source, lines: wanted === 0 ? [] : all.slice(-wanted), offset: size };
  } finally {
    await handle.close();
  }
}

/**
 * Follows a stack's app log: calls `onLines` with each batch of new complete lines until `signal` aborts, moving to
 * the new release's log when a deployment or rollback switches the serving release. Polls twice a second.
 */
export async function followAppLog(
  workspace: PlannerWorkspace,
  stack: string,
  from: { source: AppLogSource; offset: number },
  onLines: (lines: string[], release: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let { source, offset } = from;
  let partial = "";
  while (!signal.aborted) {
    const size = await stat(source.file).then((s) => s.size, () => 0);
    if (size > offset) {
      const handle = await open(source.file, "r");
      try {
        const buffer = Buffer.alloc(Math.min(size - offset, TAIL_WINDOW_BYTES));
        await handle.read(buffer, 0, buffer.length, offset);
        offset += buffer.length;
        const text = partial + buffer.toString("utf8");
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        if (lines.length > 0) onLines(lines, source.release);
      } finally {
        await handle.close();
      }
      continue;
    }
    const current = await appLogSource(workspace, stack);
    if (current && current.release !== source.release) {
      source = current;
      offset = 0;
      partial = "";
      continue;
    }
    await delay(500, signal);
  }
}
