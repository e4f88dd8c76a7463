import { randomBytes } from "node:crypto";
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { hostLeaseState, removeExpiredLeases } from "./leases";
import { acquireStackMutex, breakStackMutex, stackMutexHeld } from "./stack-mutex";
import { emptyStackDocument, type EngineLockDocument, type StateBackend, type StateBackendSettings } from "../workspace/index";

/** The layout marker the engine writes into a new tree: stacks are kept by project. */
const NEW_TREE_MARKER = "version: 1\n";

/**
 * A file backend (`file://<root>`): its `.pulumi` tree is read as files, and the stack lock is a mutex file with a
 * lease file per holder beside it (`<root>/.deployment-planner/`), which every host sharing the directory sees.
 */
export function fileStateBackend(root: string, settings: StateBackendSettings): StateBackend {
  const at = (segments: string[]) => path.join(root, ".pulumi", ...segments);
  /**
   * Writes the layout marker of a tree holding no stack yet, as the engine does on its first command there
   * (`version: 1`, stacks kept by project); false when stack files of the older layout (directly under `stacks/`)
   * are there, which the engine would keep in that layout. A marker another process wrote first is the same one.
   */
  const markNewTree = async (): Promise<boolean> => {
    const entries = await readdir(at(["stacks"]), { withFileTypes: true }).catch(() => []);
    if (entries.some((entry) => !entry.isDirectory())) return false;
    await mkdir(at([]), { recursive: true });
    await createExclusively(at(["meta.yaml"]), NEW_TREE_MARKER);
    return true;
  };
  return {
    kind: "file",
    reader: {
      list: (...segments) => readdir(at(segments)).catch(() => [] as string[]),
      read: (...segments) => readFile(at(segments), "utf8").catch(() => null),
      exists: (...segments) => stat(at(segments)).then(() => true, () => false),
    },
    filePath: (...segments) => at(segments),
    async engineLocks(projectName, stack) {
      const dir = at(["locks", "organization", projectName, stack]);
      const documents: EngineLockDocument[] = [];
      for (const name of (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"))) {
        const file = path.join(dir, name);
        const raw = await readFile(file, "utf8").catch(() => null);
        if (raw === null) continue;
        let content: Record<string, unknown> = {};
        try {
          content = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          // A lock file cut short by a crash still holds the lock; it names no holder.
        }
        documents.push({ key: file, content });
      }
      return documents;
    },
    removeEngineLock: (key) => rm(key, { force: true }),
    acquireStackLock: (stack, options) => acquireStackMutex(root, settings.dataDir, stack, options, settings.leaseTtlMs),
    stackLockHeld: (stack) => stackMutexHeld(root, stack),
    breakStackLock: (stack, force) => breakStackMutex(root, stack, force),
    hostLeaseState: (stack, hostname) => hostLeaseState(root, stack, hostname),
    removeExpiredLeases: (stack, hostname) => removeExpiredLeases(root, stack, hostname),
    async createStackRecord(projectName, stack) {
      // Only in a tree laid out by project (its marker, meta.yaml, says so), so the engine reads the record where it
      // was put. A brand-new tree gets the marker the engine itself writes into an empty one.
      if (!(await stat(at(["meta.yaml"])).then(() => true, () => false)) && !(await markNewTree())) return false;
      await mkdir(at(["stacks", projectName]), { recursive: true });
      // A stack that another process created first is left as it is.
      return createExclusively(at(["stacks", projectName, `${stack}.json`]), emptyStackDocument(projectName, stack));
    },
  };
}

/**
 * Creates `file` with `text` unless it exists: written whole beside it and linked into place, so a crash never leaves
 * it cut short. True when this created it.
 */
async function createExclusively(file: string, text: string): Promise<boolean> {
  const written = `${path.join(path.dirname(file), `.${path.basename(file)}`)}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(written, text);
  try {
    return await link(written, file).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false;
        throw error;
      },
    );
  } finally {
    await rm(written, { force: true });
  }
}
