import { createHash, randomBytes } from "node:crypto";
import { chmod, copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";

/** A content-addressed bundle of an app's source. */
export interface Bundle {
  /** `sha256:<hex>` over the sorted relative paths, executable bits and contents of the bundled files. */
  readonly digest: string;
  /** Directory holding the unpacked bundle; the same digest always maps to the same directory. */
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
}

/** Options of `packageSource`. */
export interface PackageOptions {
  /** Directory that holds bundles, one sub-directory per digest. */
  readonly bundlesDir: string;
  /** Largest source accepted, in bytes. @default 512 MiB */
  readonly maxBytes?: number;
}

/** Raised when a source cannot be packaged; maps to stage `package`. */
export class PackageError extends Error {
  readonly code = "PACKAGE_FAILED" as const;
  constructor(message: string) {
    super(message);
    this.name = "PackageError";
  }
}

/**
 * Names never bundled: version control and editor state, local dependency trees (rebuilt from the lockfile where the
 * app is built) and dotenv files, which hold secrets that must reach the app through its environment instead.
 */
const EXCLUDED = [/^\.git$/, /^node_modules$/, /^\.DS_Store$/, /^\.env(\..*)?$/, /^\.deployment-planner$/, /^\.pulumi-state$/];

/** A file the packager bundles: its path relative to the source (with `/`), where it is, its mode and size. */
export interface SourceFile {
  readonly relative: string;
  readonly absolute: string;
  readonly executable: boolean;
  readonly size: number;
}

/** Ignore files the packager honours: git's in every directory, Docker's at the root (as `docker build` reads it). */
const IGNORE_FILES = { everywhere: ".gitignore", rootOnly: ".dockerignore" } as const;

/** The rules of one ignore file, for the paths below the directory holding it. */
interface IgnoreScope {
  /** Path of that directory relative to the source root ("" for the root). */
  readonly base: string;
  readonly rules: Ignore;
}

async function readIgnoreScope(dir: string, base: string, names: readonly string[]): Promise<IgnoreScope | null> {
  const texts = await Promise.all(names.map((name) => readFile(path.join(dir, name), "utf8").catch(() => null)));
  const present = texts.filter((text): text is string => text !== null);
  if (present.length === 0) return null;
  // `add` takes a file's text, or an array of single patterns: each file is added as its text.
  const rules = ignore();
  for (const text of present) rules.add(text);
  return { base, rules };
}

function isIgnored(scopes: readonly IgnoreScope[], relative: string, isDirectory: boolean): boolean {
  return scopes.some((scope) => {
    const below = scope.base === "" ? relative : relative.slice(scope.base.length + 1);
    return scope.rules.ignores(isDirectory ? `${below}/` : below);
  });
}

/**
 * The files of `root` a bundle holds, sorted by relative path: regular files only (symbolic links and special files are
 * left out, so a bundle never reaches outside its source), without the excluded and ignored names.
 */
export async function listFiles(root: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (dir: string, prefix: string, inherited: readonly IgnoreScope[]): Promise<void> => {
    const own = await readIgnoreScope(dir, prefix, prefix === "" ? [IGNORE_FILES.everywhere, IGNORE_FILES.rootOnly] : [IGNORE_FILES.everywhere]);
    const scopes = own ? [...inherited, own] : inherited;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (EXCLUDED.some((pattern) => pattern.test(entry.name))) continue;
      const absolute = path.join(dir, entry.name);
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (isIgnored(scopes, relative, entry.isDirectory())) continue;
      if (entry.isDirectory()) await walk(absolute, relative, scopes);
      else if (entry.isFile()) {
        const info = await lstat(absolute);
        files.push({ relative, absolute, executable: (info.mode & 0o111) !== 0, size: info.size });
      }
      // Symbolic links and special files are left out: a bundle must not point outside itself.
    }
  };
  await walk(root, "", []);
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** The content digest of a file list: sorted relative paths, executable bits and contents. */
async function digestOf(files: readonly SourceFile[]): Promise<string> {
  const digest = createHash("sha256");
  for (const file of files) {
    const content = await readFile(file.absolute);
    digest.update(`${file.relative}\0${file.executable ? "755" : "644"}\0${content.length}\0`);
    digest.update(content);
  }
  return digest.digest("hex");
}

/**
 * Whether a bundle directory still holds exactly the content its digest names (`sha256:<hex>`): false when it is gone
 * or was changed after packaging.
 */
export async function bundleMatches(bundleDir: string, digest: string): Promise<boolean> {
  const info = await stat(bundleDir).catch(() => null);
  if (!info?.isDirectory()) return false;
  return `sha256:${await digestOf(await listFiles(bundleDir))}` === digest;
}

/**
 * Turns a source directory into a content-addressed bundle under `bundlesDir`. An unchanged source gives the same
 * digest and the same path, so a later preview shows no changes; bundles are written once, atomically.
 */
export async function packageSource(sourceDir: string, options: PackageOptions): Promise<Bundle> {
  const root = path.resolve(sourceDir);
  const info = await stat(root).catch(() => null);
  if (!info) throw new PackageError(`source directory ${root} does not exist`);
  if (!info.isDirectory()) throw new PackageError(`source ${root} is not a directory`);
  const files = await listFiles(root);
  if (files.length === 0) throw new PackageError(`source directory ${root} holds no files to deploy`);
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
  if (bytes > maxBytes) throw new PackageError(`source directory ${root} holds ${bytes} bytes, over the ${maxBytes}-byte limit`);

  const hex = await digestOf(files);
  const target = path.join(path.resolve(options.bundlesDir), hex);
  if (await stat(target).catch(() => null)) return { digest: `sha256:${hex}`, path: target, files: files.length, bytes };

  await mkdir(options.bundlesDir, { recursive: true });
  const staging = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    for (const file of files) {
      const destination = path.join(staging, file.relative);
      await mkdir(path.dirname(destination), { recursive: true });
      await copyFile(file.absolute, destination);
      await chmod(destination, file.executable ? 0o755 : 0o644);
    }
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another deploy of the same source finished first; its bundle is identical.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { digest: `sha256:${hex}`, path: target, files: files.length, bytes };
}
