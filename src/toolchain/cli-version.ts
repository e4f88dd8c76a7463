import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { runTool } from "./run";

/**
 * The Pulumi CLI's version, checked by running it (`pulumi version`, about 0.2 s of CPU) only when this binary was not
 * checked before. A small record in the toolchain cache remembers each CLI path's version beside the binary's
 * identity when it was checked: size, modification and change times, inode. Any doubt runs the check as before: a
 * binary replaced, rebuilt or touched since, a record that is missing, unreadable or not in the expected shape.
 */

/** Name of the record, under `<cache root>/pulumi/`. */
export const VERIFIED_VERSIONS_FILE = "verified-cli-versions.json";

/** One remembered check: the binary's identity then, and the version it printed. */
interface VerifiedVersion {
  readonly key: string;
  readonly version: string;
}

/** Version printed by a Pulumi CLI (`v3.65.1` → `3.65.1`), or "" when it cannot be run. */
export async function cliVersion(cliPath: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const result = await runTool(cliPath, ["version"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeoutMs: 30_000 }).catch(
    () => null,
  );
  if (!result || result.code !== 0) return "";
  return result.output.trim().replace(/^v/, "");
}

/** Path of the record in a toolchain cache root. */
export function verifiedVersionsFile(cacheRoot: string): string {
  return path.join(cacheRoot, "pulumi", VERIFIED_VERSIONS_FILE);
}

/**
 * The version of the CLI at `cliPath`: the remembered one when the same binary was checked before, otherwise the one
 * it prints now (then remembered). "" when it cannot be run; a failed check is never remembered.
 */
export async function verifiedCliVersion(cliPath: string, env: NodeJS.ProcessEnv, cacheRoot: string): Promise<string> {
  const info = await stat(cliPath);
  // The change time moves whenever the file's content or metadata is written, even when the modification time is
  // set back, so a binary swapped in place never passes for the one checked.
  const key = `${info.size}:${Math.trunc(info.mtimeMs)}:${Math.trunc(info.ctimeMs)}:${info.ino}`;
  const file = verifiedVersionsFile(cacheRoot);
  const records = await readRecords(file);
  const known = records[cliPath];
  if (known && known.key === key) return known.version;
  const version = await cliVersion(cliPath, env);
  if (version) await writeRecords(file, { ...records, [cliPath]: { key, version } });
  return version;
}

/** The remembered checks; none when the record is missing or not in the expected shape. */
async function readRecords(file: string): Promise<Record<string, VerifiedVersion>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  const records: Record<string, VerifiedVersion> = {};
  for (const [cliPath, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const { key, version } = (entry ?? {}) as Partial<Record<keyof VerifiedVersion, unknown>>;
    if (typeof key === "string" && typeof version === "string" && version !== "") records[cliPath] = { key, version };
  }
  return records;
}

/** Replaces the record atomically; a cache that cannot be written only means checking again next time. */
async function writeRecords(file: string, records: Record<string, VerifiedVersion>): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await mkdir(path.dirname(file), { recursive: true })
    .then(() => writeFile(temporary, JSON.stringify(records)))
    .then(() => rename(temporary, file))
    .catch(() => undefined);
}
