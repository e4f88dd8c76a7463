import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadEntry } from "tar";
import { failure, type FailureResult } from "../../outcome";
import { importEsm } from "../esm";
import type { GitHubClient } from "./client";

/** A commit of a repository on GitHub. */
export interface CommitRef {
  /** The repository's owner (user or organisation). */
  readonly owner: string;
  readonly repo: string;
  /** The commit's full SHA (40 or 64 hex digits). */
  readonly sha: string;
}

/** How much of an archive is unpacked at most; an archive beyond any of them is refused whole. */
export interface ArchiveLimits {
  /** The compressed archive as downloaded. @default 100 MB */
  readonly maxArchiveBytes: number;
  /** The unpacked files together. @default 200 MB */
  readonly maxTotalBytes: number;
  /** Entries (files, directories, links). @default 20 000 */
  readonly maxFiles: number;
  /** One file. @default 50 MB */
  readonly maxFileBytes: number;
  /** The whole download. @default 5 minutes */
  readonly downloadTimeoutMs: number;
}

/** The limits an archive is held to unless the caller says otherwise. */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxArchiveBytes: 100 * 1024 * 1024,
  maxTotalBytes: 200 * 1024 * 1024,
  maxFiles: 20_000,
  maxFileBytes: 50 * 1024 * 1024,
  downloadTimeoutMs: 5 * 60_000,
};

/** A commit's files, unpacked. */
export interface CommitSource {
  /** The directory holding the repository's root (GitHub's top directory stripped). */
  readonly dir: string;
  /** `sha256:<hex>` over every entry's path, kind, link target and content, in archive order. */
  readonly digest: string;
  /** Entries unpacked (files, directories and links). */
  readonly files: number;
  /** Bytes of file content unpacked. */
  readonly bytes: number;
}

/** The commit's files, or why they could not be had (stage `package`). */
export type CommitSourceOutcome = { readonly ok: true; readonly source: CommitSource } | { readonly ok: false; readonly failure: FailureResult };

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Downloads a commit's archive (`GET /repos/{owner}/{repo}/tarball/{sha}`, following GitHub's redirect to its
 * archive host) and unpacks it into `destDir`, which must not exist yet or be empty. See `unpackCommitArchive` for
 * what is refused. Nothing is left behind on failure: neither the download nor a partly unpacked directory.
 */
export async function fetchCommitSource(client: GitHubClient, ref: CommitRef, destDir: string, limits: Partial<ArchiveLimits> = {}): Promise<CommitSourceOutcome> {
  const bounds = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  if (!OWNER.test(ref.owner) || !REPO.test(ref.repo) || ref.repo === "." || ref.repo === ".." || !SHA.test(ref.sha)) {
    return refused(`the commit to fetch is not a GitHub owner/repository@sha: ${JSON.stringify(`${ref.owner}/${ref.repo}@${ref.sha}`).slice(0, 200)}`, "Send the repository as owner/name and the commit as its full lower-case SHA.");
  }
  const name = `${ref.owner}/${ref.repo}@${ref.sha.slice(0, 7)}`;
  await mkdir(path.dirname(destDir), { recursive: true });
  const work = await mkdtemp(path.join(path.dirname(destDir), ".commit-download-"));
  try {
    const answer = await client.call(
      `the archive of ${name}`,
      (octokit) =>
        octokit.rest.repos.downloadTarballArchive({
          owner: ref.owner,
          repo: ref.repo,
          ref: ref.sha,
          request: { parseSuccessResponseBody: false, signal: AbortSignal.timeout(bounds.downloadTimeoutMs) },
        }),
      "package",
    );
    if (!answer.ok) return { ok: false, failure: answer.failure };
    const archive = path.join(work, "archive.tar.gz");
    const saved = await saveBounded(answer.value.data as unknown as ReadableStream<Uint8Array> | null, archive, bounds.maxArchiveBytes);
    if (saved) return refused(`the archive of ${name} ${saved}`, "Make the repository smaller than the limit, or raise the service's archive limits.");
    return await unpackCommitArchive(archive, destDir, bounds);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Unpacks a GitHub commit archive (a gzipped tar whose entries all sit under one top directory,
 * `<owner>-<repo>-<sha>/`) into `destDir` without that top directory. The archive is read twice: first every entry is
 * checked and nothing is written, then it is unpacked into a fresh directory beside `destDir` that is renamed into
 * place. Refused whole: an entry outside the top directory, with an absolute path or a `..` component; a symbolic
 * link whose target is absolute or leaves the repository (links inside it are kept); every hard link (git has none,
 * so GitHub's archives never carry one); devices, FIFOs and any other special entry; more entries, bytes or a bigger
 * file than `limits` allow. Modes keep their permission bits only (no setuid, setgid or sticky bit) and owners are
 * not kept.
 */
export async function unpackCommitArchive(archiveFile: string, destDir: string, limits: Partial<ArchiveLimits> = {}): Promise<CommitSourceOutcome> {
  const bounds = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  const tar = await importEsm<typeof import("tar")>("tar");
  const inspection = await inspect(tar, archiveFile, bounds);
  if ("problem" in inspection) return refused(`the commit archive ${inspection.problem}`, inspection.fix);

  const existing = await readdir(destDir).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? null : Promise.reject(error)));
  if (existing && existing.length > 0) return refused(`the directory to unpack into already holds files`, "Unpack each commit into a fresh directory.");
  const staging = path.join(path.dirname(destDir), `.${path.basename(destDir)}.unpacking-${randomBytes(6).toString("hex")}`);
  const warnings: string[] = [];
  try {
    await mkdir(staging, { recursive: true });
    await tar.x({
      file: archiveFile,
      cwd: staging,
      strip: 1,
      preserveOwner: false,
      // Every entry was checked above; this keeps anything else (should the two reads differ) out.
      filter: (_entryPath, entry) => {
        const stat = entry as ReadEntry;
        if (!UNPACKED_TYPES.has(stat.type)) return false;
        if (typeof stat.mode === "number") stat.mode &= 0o777;
        return true;
      },
      onwarn: (code, message) => {
        if (code !== "TAR_ENTRY_INFO") warnings.push(`${code} ${message}`);
      },
    });
    if (warnings.length > 0) throw new Error(warnings[0]);
    if (existing) await rmdir(destDir);
    await rename(staging, destDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    return refused(`the commit archive could not be unpacked (${errorText(error)})`, "Check that the commit's archive is a gzipped tar as GitHub serves it.");
  }
  return { ok: true, source: { dir: destDir, digest: inspection.digest, files: inspection.files, bytes: inspection.bytes } };
}

/** Entry kinds that are unpacked; every other kind refuses the archive. */
const UNPACKED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink"]);

type Inspection = { readonly digest: string; readonly files: number; readonly bytes: number } | { readonly problem: string; readonly fix: string };

const REMOVE_ENTRY = "Remove the entry from the repository; the service unpacks only files, directories and symbolic links that stay inside it, within its size limits.";

/** Reads every entry without writing anything: the first problem found, or the archive's digest and size. */
async function inspect(tar: typeof import("tar"), archiveFile: string, limits: ArchiveLimits): Promise<Inspection> {
  const hash = createHash("sha256");
  let top: string | undefined;
  let files = 0;
  let bytes = 0;
  let problem: string | undefined;
  try {
    await tar.t({
      file: archiveFile,
      // A damaged or foreign archive is an error here, not a warning and an empty listing.
      strict: true,
      onReadEntry: (entry) => {
        if (problem) return void entry.resume();
        problem = checkEntry(entry, top, limits, files, bytes);
        const parts = entry.path.split("/").filter((part) => part !== "" && part !== ".");
        top ??= parts[0];
        if (problem || parts.length <= 1) return void entry.resume();
        files += 1;
        if (entry.type !== "Directory" && entry.type !== "SymbolicLink") bytes += entry.size;
        hash.update(`${entry.type}\0${parts.slice(1).join("/")}\0${entry.linkpath ?? ""}\0${entry.size}\0`);
        entry.on("data", (chunk: Buffer) => hash.update(chunk));
      },
    });
  } catch (error) {
    // An entry already refused says more than what reading on found (a header claiming more bytes than follow).
    if (problem) return { problem, fix: REMOVE_ENTRY };
    return { problem: `is not a readable gzipped tar (${errorText(error)})`, fix: "Check that the API URL is GitHub's (hooks.github.api_url) and that the commit's archive downloads as a gzipped tar." };
  }
  if (problem) return { problem, fix: REMOVE_ENTRY };
  if (top === undefined) return { problem: "is empty", fix: "Deploy a commit that holds the request's source." };
  return { digest: `sha256:${hash.digest("hex")}`, files, bytes };
}

/** What is wrong with one entry, or undefined. `top` is the archive's top directory once known. */
function checkEntry(entry: ReadEntry, top: string | undefined, limits: ArchiveLimits, filesSoFar: number, bytesSoFar: number): string | undefined {
  const shown = JSON.stringify(entry.path.slice(0, 200));
  if (entry.path.startsWith("/") || /^[A-Za-z]:/.test(entry.path)) return `entry ${shown} has an absolute path`;
  const parts = entry.path.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) return `entry ${shown} leaves its directory through '..'`;
  if (parts.length === 0) return `entry ${shown} has no name`;
  if (top !== undefined && parts[0] !== top) return `entry ${shown} is outside the archive's top directory ${JSON.stringify(top)}`;
  if (!UNPACKED_TYPES.has(entry.type)) {
    if (entry.type === "Link") return `entry ${shown} is a hard link; hard links are never unpacked`;
    return `entry ${shown} is a ${entry.type}; only files, directories and symbolic links are unpacked`;
  }
  if (entry.type === "SymbolicLink") {
    const target = entry.linkpath ?? "";
    if (target === "" || target.startsWith("/") || /^[A-Za-z]:/.test(target)) return `symbolic link ${shown} points to an absolute path`;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(parts.slice(1).join("/") || "."), target));
    if (resolved === ".." || resolved.startsWith("../")) return `symbolic link ${shown} points outside the repository`;
  }
  if (filesSoFar + 1 > limits.maxFiles) return `has more than ${limits.maxFiles} entries`;
  if (entry.type !== "Directory" && entry.type !== "SymbolicLink") {
    if (entry.size > limits.maxFileBytes) return `entry ${shown} is ${entry.size} bytes, more than the ${limits.maxFileBytes} a file may have`;
    if (bytesSoFar + entry.size > limits.maxTotalBytes) return `unpacks to more than ${limits.maxTotalBytes} bytes`;
  }
  return undefined;
}

/** Writes a download to a file, stopping at `maxBytes`: why it was refused, or undefined. */
async function saveBounded(body: ReadableStream<Uint8Array> | null, file: string, maxBytes: number): Promise<string | undefined> {
  if (!body) return "was empty";
  let received = 0;
  const counted = Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>).map((chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) throw new ArchiveTooLargeError(maxBytes);
    return chunk;
  });
  try {
    await pipeline(counted, createWriteStream(file, { mode: 0o600 }));
    return undefined;
  } catch (error) {
    if (error instanceof ArchiveTooLargeError) return `is larger than ${maxBytes} bytes`;
    return `could not be downloaded (${errorText(error)})`;
  }
}

class ArchiveTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`archive larger than ${limit} bytes`);
  }
}

/** An error as a caller may read it: its code where it has one, else its message without any file path. */
function errorText(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string" && code !== "") return code;
  return String(message ?? error).replace(/(?:\/[^\s'"]+)+/g, "<file>").slice(0, 200);
}

function refused(reason: string, fix: string): CommitSourceOutcome {
  return { ok: false, failure: failure("package", reason, fix) };
}
