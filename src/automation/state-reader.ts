import { readdir, readFile, stat } from "node:fs/promises";
import { postgresDocumentText, postgresState, postgresStateDocumentText, postgresStateNames } from "./postgres-state";
import { fileBackendPath, type PlannerWorkspace } from "./workspace";

/**
 * Reads a self-managed backend's `.pulumi` tree (stacks, history, locks) directly, without an engine run: a file
 * backend's files, or the PostgreSQL backend's documents, which hold the same tree under the same names.
 */
export interface StateReader {
  /** The names directly under `segments` (e.g. a stack's history files); empty when there are none. */
  list(...segments: string[]): Promise<string[]>;
  /** A document's text, or null when it does not exist. */
  read(...segments: string[]): Promise<string | null>;
  /** Whether a document exists. */
  exists(...segments: string[]): Promise<boolean>;
}

/** The reader of the workspace's backend, or null for backends this product cannot read (object stores, the cloud). */
export function stateReader(workspace: Pick<PlannerWorkspace, "backendUrl">): StateReader | null {
  if (fileBackendPath(workspace) !== null) {
    const at = (segments: string[]) => fileBackendPath(workspace, ...segments)!;
    return {
      list: (...segments) => readdir(at(segments)).catch(() => [] as string[]),
      read: (...segments) => readFile(at(segments), "utf8").catch(() => null),
      exists: (...segments) => stat(at(segments)).then(() => true, () => false),
    };
  }
  const postgres = postgresState(workspace);
  if (postgres) {
    return {
      list: (...segments) => postgresStateNames(postgres, ...segments),
      read: (...segments) => postgresStateDocumentText(postgres, ...segments),
      exists: async (...segments) => (await postgresStateDocumentText(postgres, ...segments)) !== null,
    };
  }
  return null;
}
