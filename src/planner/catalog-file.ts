import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Where the catalog's data comes from. People write and review the YAML file; the package build also writes it as
 * JSON, which a process reads in a fraction of a millisecond where parsing the YAML took about a tenth of a second of
 * CPU on every plan. The JSON names the digest of the YAML text it was made from, and is used only while that YAML
 * is unchanged: an edited YAML (or a missing or unreadable JSON) is parsed as before.
 */

/** The catalog as written, beside this module. */
export const CATALOG_SOURCE_FILE = "catalog.yaml";
/** The catalog's data as JSON, written by the package build beside the YAML. */
export const COMPILED_CATALOG_FILE = "catalog.json";

/** What the JSON file holds: the YAML text's digest and the data parsed from it. */
interface CompiledCatalog {
  readonly source_sha256: string;
  readonly data: unknown;
}

function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function parseYaml(text: string): unknown {
  // Loaded only when no current JSON exists: most processes never parse YAML at all.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("yaml") as typeof import("yaml")).parse(text);
}

/** The compiled file's content when it is well formed, else null. */
function readCompiled(dir: string): CompiledCatalog | null {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dir, COMPILED_CATALOG_FILE), "utf8")) as Partial<CompiledCatalog> | null;
    if (parsed === null || typeof parsed !== "object" || typeof parsed.source_sha256 !== "string" || !("data" in parsed)) return null;
    return { source_sha256: parsed.source_sha256, data: parsed.data };
  } catch {
    return null;
  }
}

/**
 * The catalog data in `dir` (not yet validated): the compiled JSON when it was made from the YAML that is there now,
 * otherwise the YAML parsed.
 */
export function readCatalogData(dir: string): unknown {
  const source = readFileSync(path.join(dir, CATALOG_SOURCE_FILE), "utf8");
  const compiled = readCompiled(dir);
  if (compiled !== null && compiled.source_sha256 === digestOf(source)) return compiled.data;
  return parseYaml(source);
}

/** Writes the JSON form of the YAML catalog in `dir` beside it (atomically), for `readCatalogData` to read. */
export function writeCompiledCatalog(dir: string): void {
  const source = readFileSync(path.join(dir, CATALOG_SOURCE_FILE), "utf8");
  const compiled: CompiledCatalog = { source_sha256: digestOf(source), data: parseYaml(source) };
  const target = path.join(dir, COMPILED_CATALOG_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(compiled));
  renameSync(temporary, target);
}
