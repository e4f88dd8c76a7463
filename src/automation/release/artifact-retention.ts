import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlannerWorkspace } from "../workspace/index";

/** How many successful versions per stack keep their bundles, by default. */
export const DEFAULT_RETAINED_VERSIONS = 10;

/** A bundle younger than this is never pruned: a deploy in flight may have just packaged it. */
const PRUNE_GRACE_MS = 60 * 60 * 1000;

function indexPath(workspace: PlannerWorkspace, stack: string): string {
  return path.join(workspace.dataDir, "artifacts", `${stack}.json`);
}

function bundlesDir(workspace: PlannerWorkspace): string {
  return workspace.bundlesDir;
}

async function readIndex(file: string): Promise<string[]> {
  try {
    const digests = JSON.parse(await readFile(file, "utf8")) as unknown;
    return Array.isArray(digests) ? digests.filter((d): d is string => typeof d === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Records that a stack's successful version uses a bundle, keeping the newest `retain` distinct bundles per stack, then
 * prunes the bundles no stack keeps. Returns the digests of the bundles it removed.
 */
export async function retainArtifact(workspace: PlannerWorkspace, stack: string, digest: string, retain = DEFAULT_RETAINED_VERSIONS): Promise<string[]> {
  const file = indexPath(workspace, stack);
  await mkdir(path.dirname(file), { recursive: true });
  const kept = [digest, ...(await readIndex(file)).filter((d) => d !== digest)].slice(0, Math.max(1, retain));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(kept));
  await rename(temporary, file);
  return pruneArtifacts(workspace);
}

/**
 * Removes bundles that no stack keeps: neither among a stack's retained versions nor named by any stack file (what is
 * deployed now, which a running local release may be serving from), and older than an hour. Safe to run at any time.
 * Runs after every successful deploy, so the stack files are only read when some bundle could go, and then searched
 * for the bundle's digest as text: a file naming it keeps it (a mention anywhere in the file only ever keeps more).
 */
export async function pruneArtifacts(workspace: PlannerWorkspace, now = Date.now()): Promise<string[]> {
  const retained = new Set<string>();
  const indexDir = path.join(workspace.dataDir, "artifacts");
  for (const name of (await readdir(indexDir).catch(() => [] as string[])).filter((n) => n.endsWith(".json"))) {
    for (const digest of await readIndex(path.join(indexDir, name))) retained.add(digest);
  }
  const candidates: string[] = [];
  for (const name of await readdir(bundlesDir(workspace)).catch(() => [] as string[])) {
    // Only finished bundles (their directory is the bare digest); a packaging in flight writes a `.tmp` sibling.
    if (!/^[0-9a-f]{64}$/.test(name) || retained.has(`sha256:${name}`)) continue;
    const info = await stat(path.join(bundlesDir(workspace), name)).catch(() => null);
    if (info && now - info.mtimeMs >= PRUNE_GRACE_MS) candidates.push(name);
  }
  if (candidates.length === 0) return [];
  const named = await digestsNamedByStackFiles(workspace, candidates);
  const removed: string[] = [];
  for (const name of candidates) {
    if (named.has(name)) continue;
    await rm(path.join(bundlesDir(workspace), name), { recursive: true, force: true });
    removed.push(`sha256:${name}`);
  }
  return removed;
}

/** Which of `digests` (bare hex) some stack file names; an unreadable stack file keeps them all. */
async function digestsNamedByStackFiles(workspace: PlannerWorkspace, digests: readonly string[]): Promise<Set<string>> {
  const named = new Set<string>();
  for (const name of await readdir(workspace.stacksDir).catch(() => [] as string[])) {
    if (!/^Pulumi\..+\.yaml$/.test(name)) continue;
    const text = await readFile(path.join(workspace.stacksDir, name), "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? "" : null));
    // A stack file that exists but cannot be read might name any of them: nothing is removed.
    if (text === null) return new Set(digests);
    for (const digest of digests) if (text.includes(digest)) named.add(digest);
    if (named.size === digests.length) break;
  }
  return named;
}
