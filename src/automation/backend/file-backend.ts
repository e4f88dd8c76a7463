import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { hostLeaseState, removeExpiredLeases } from "./leases";
import { acquireStackMutex, breakStackMutex, stackMutexHeld } from "./stack-mutex";
import { emptyStackDocument, type EngineLockDocument, type StateBackend, type StateBackendSettings } from "../workspace/index";

/**
 * A file backend (`file://<root>`): its `.pulumi` tree is read as files, and the stack lock is a mutex file with a
 * lease file per holder beside it (`<root>/.deployment-planner/`), which every host sharing the directory sees.
 */
export function fileStateBackend(root: string, settings: StateBackendSettings): StateBackend {
  const at = (segments: string[]) => path.join(root, ".pulumi", ...segments);
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
      // Only in a tree the engine has set up (its layout's marker), so the engine reads the record where it was put.
      if (!(await stat(at(["meta.yaml"])).then(() => true, () => false))) return false;
      await mkdir(at(["stacks", projectName]), { recursive: true });
      // Exclusive: a stack that another process created first is left as it is.
      return writeFile(at(["stacks", projectName, `${stack}.json`]), emptyStackDocument(projectName, stack), { flag: "wx" }).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === "EEXIST") return false;
          throw error;
        },
      );
    },
  };
}
