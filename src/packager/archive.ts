import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, mkdir, open, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { listFiles, PackageError } from "./index";

/**
 * A bundle as bytes, for a service whose workers run elsewhere: each file in path order as
 * `<relative path>\0<755|644>\0<length>\0<content>`, gzip-compressed. Uncompressed, these are exactly the bytes a
 * bundle's digest is computed over, so the digest of an archive is the sha256 of its content and names the same
 * bundle `packageSource` makes of the same source.
 */
export interface BundleArchive {
  /** `sha256:<hex>`, as `packageSource` names the bundle. */
  readonly digest: string;
  /** The gzip-compressed archive. */
  readonly archive: Buffer;
  readonly files: number;
  /** The size of the bundled files, before compression. */
  readonly bytes: number;
}

/** Raised when a source holds more than a bundle may; `bytes` counts what it holds so far. */
export class BundleTooLargeError extends PackageError {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`the source holds more than the ${maxBytes}-byte limit of a bundle (at least ${bytes} bytes)`);
    this.name = "BundleTooLargeError";
  }
}

/** Largest archive a reader unpacks, whatever it was told: a compressed archive cannot expand past it. */
const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024;

/**
 * Reads the source directory `sourceDir` (absolute, symlinks resolved) into an archive, each file read once, so the
 * digest names exactly the bytes archived. As `packageSource` does, symbolic links and special files are left out;
 * a file is opened without following a link, and a directory of the source replaced by a link while it is read (its
 * real path no longer below the source) fails the packaging instead of archiving what the link leads to.
 */
export async function archiveSource(sourceDir: string, options: { readonly maxBytes: number }): Promise<BundleArchive> {
  const root = path.resolve(sourceDir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new PackageError("the source is not a directory");
  const files = await listFiles(root);
  if (files.length === 0) throw new PackageError("the source holds no files to deploy");
  const listed = files.reduce((sum, file) => sum + file.size, 0);
  if (listed > options.maxBytes) throw new BundleTooLargeError(listed, options.maxBytes);
  const parts: Buffer[] = [];
  let bytes = 0;
  const checkedDirs = new Map<string, Promise<boolean>>();
  for (const file of files) {
    const relativeDir = path.posix.dirname(file.relative);
    const expectedDir = relativeDir === "." ? root : path.join(root, ...relativeDir.split("/"));
    let inside = checkedDirs.get(expectedDir);
    if (!inside) {
      inside = realpath(expectedDir).then((real) => real === expectedDir, () => false);
      checkedDirs.set(expectedDir, inside);
    }
    if (!(await inside)) throw new PackageError(`'${file.relative}' left the source while it was packaged (a directory became a link)`);
    const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
    if (!handle) throw new PackageError(`'${file.relative}' changed while the source was packaged (it is gone, or became a link)`);
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) throw new PackageError(`'${file.relative}' is no longer a regular file`);
      const content = await handle.readFile();
      bytes += content.length;
      if (bytes > options.maxBytes) throw new BundleTooLargeError(bytes, options.maxBytes);
      const executable = (opened.mode & 0o111) !== 0;
      parts.push(Buffer.from(`${file.relative}\0${executable ? "755" : "644"}\0${content.length}\0`), content);
    } finally {
      await handle.close();
    }
  }
  const raw = Buffer.concat(parts);
  return { digest: `sha256:${createHash("sha256").update(raw).digest("hex")}`, archive: gzipSync(raw), files: files.length, bytes };
}

/** One file of an archive. */
interface ArchivedFile {
  readonly relative: string;
  readonly executable: boolean;
  readonly content: Buffer;
}

/** A relative path an archive may hold: forward slashes, no empty, `.` or `..` segment, nothing absolute. */
function safeRelative(relative: string): boolean {
  if (relative.length === 0 || relative.length > 4096 || relative.startsWith("/") || relative.includes("\\")) return false;
  return relative.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** The files of an uncompressed archive; a malformed one (truncated, or a path leading out) is a `PackageError`. */
function parseArchive(raw: Buffer): ArchivedFile[] {
  const files: ArchivedFile[] = [];
  const malformed = () => new PackageError("the bundle is malformed");
  let offset = 0;
  const field = () => {
    const end = raw.indexOf(0, offset);
    if (end < 0) throw malformed();
    const text = raw.subarray(offset, end).toString("utf8");
    offset = end + 1;
    return text;
  };
  while (offset < raw.length) {
    const relative = field();
    const mode = field();
    const length = Number(field());
    if (!safeRelative(relative) || (mode !== "755" && mode !== "644") || !Number.isSafeInteger(length) || length < 0 || offset + length > raw.length) throw malformed();
    files.push({ relative, executable: mode === "755", content: raw.subarray(offset, offset + length) });
    offset += length;
  }
  return files;
}

/**
 * Unpacks an archive into `bundlesDir`, at the directory `packageSource` would have written for the same digest, and
 * returns that directory. The archive's bytes must hash to `digest`: anything else (changed after it was stored) is a
 * `PackageError` and nothing is written. A directory already there (written whole by an earlier unpack) is used as it is.
 */
export async function unpackArchive(archive: Buffer, digest: string, bundlesDir: string): Promise<string> {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
  if (!hex) throw new PackageError("the bundle's digest is not sha256:<64 hex digits>");
  let raw: Buffer;
  try {
    raw = gunzipSync(archive, { maxOutputLength: MAX_ARCHIVE_BYTES });
  } catch {
    throw new PackageError(`the bundle ${digest} cannot be read (it is not the archive that was stored)`);
  }
  if (createHash("sha256").update(raw).digest("hex") !== hex) {
    throw new PackageError(`the bundle's bytes do not match its digest ${digest}: it was changed after the deployment was accepted`);
  }
  const files = parseArchive(raw);
  const target = path.join(path.resolve(bundlesDir), hex);
  // A bundle directory is written once, atomically, under its digest, as packageSource writes it; other workers'
  // releases may be running from it right now, so one already there is used and never removed here.
  if (await stat(target).then((info) => info.isDirectory(), () => false)) return target;
  await mkdir(bundlesDir, { recursive: true });
  const staging = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    for (const file of files) {
      const destination = path.join(staging, ...file.relative.split("/"));
      await mkdir(path.dirname(destination), { recursive: true });
      await writeFile(destination, file.content, { flag: "wx" });
      await chmod(destination, file.executable ? 0o755 : 0o644);
    }
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another worker unpacked the same bundle first; its content is identical.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}
