import { realpath } from "node:fs/promises";
import path from "node:path";
import { failure, type FailureResult } from "../outcome";
import { parseSecretReference, type SecretReference } from "../secrets/index";

/**
 * What the operator grants each project's remote requests (API calls and hooks): the source directories they may
 * deploy and the secret references they may name. The CLI and the library never consult this: an operator on their
 * own machine reaches everything their own account does.
 */
export interface ProjectGrant {
  /** Directories (absolute, symlinks resolved) a request's `source` must resolve inside. */
  readonly sources: readonly string[];
  /** Globs on the canonical reference (`*` matches any run of characters, everything else is literal). */
  readonly secrets: readonly string[];
}

/** The grants of every project: the ones the configuration names, and the default for any other. */
export interface ServiceGrants {
  /** The grant of `projectId` (null: a request that names no project, which is granted no secret). */
  grantFor(projectId: string | null): ProjectGrant;
  /** Where a relative `source` resolves: the first default source root, as the worker resolves it. */
  readonly baseDir: string;
}

/** A project's grant as the configuration writes it: source directories relative to the file, reference globs. */
export interface ConfiguredGrant {
  readonly sources: readonly string[];
  readonly secrets: readonly string[];
}

const resolved = (dir: string) => realpath(dir).catch(() => path.resolve(dir));

/**
 * The grants of a service whose configuration names `projects` (source directories already absolute) and whose
 * `--source-root` directories are `defaultRoots`. A project the configuration does not name may deploy from the
 * default roots and name only its own Vault path (`vault:<project>/...`, `vault:<project>#...`, which is also where
 * the catalog's default references point); no project is granted an `env:` or `file:` reference unless the
 * configuration grants it explicitly, since those read the service's own environment and files.
 */
export async function serviceGrants(projects: Readonly<Record<string, ConfiguredGrant>>, defaultRoots: readonly string[]): Promise<ServiceGrants> {
  const roots = await Promise.all(defaultRoots.map(resolved));
  const configured = new Map<string, ProjectGrant>();
  for (const [id, grant] of Object.entries(projects)) {
    configured.set(id, { sources: await Promise.all(grant.sources.map(resolved)), secrets: [...grant.secrets, ...ownVault(id)] });
  }
  return {
    baseDir: roots[0] ?? "/nonexistent",
    grantFor: (projectId) => (projectId === null ? { sources: roots, secrets: [] } : (configured.get(projectId) ?? { sources: roots, secrets: ownVault(projectId) })),
  };
}

/** A project's own Vault path, which every project may name. */
function ownVault(projectId: string): string[] {
  return [`vault:${projectId}/*`, `vault:${projectId}#*`];
}

/**
 * The reference as grants are matched against it: a `vault:` path with the short form filled in, a `file:` path
 * absolute and normalized (so `..` cannot walk out of a granted directory), an `env:` name as written.
 */
export function canonicalReference(reference: SecretReference, baseDir: string): string {
  switch (reference.scheme) {
    case "env":
      return `env:${reference.variable}`;
    case "file":
      return `file:${path.resolve(baseDir, reference.path)}#${reference.key}`;
    case "vault":
      return `vault:${reference.path}#${reference.key}`;
  }
}

/** Whether `text` matches `glob`, where `*` is any run of characters and everything else is literal. */
export function globMatches(glob: string, text: string): boolean {
  const pattern = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${pattern}$`, "s").test(text);
}

/**
 * The first secret reference of a request's `secrets` map that `grant` does not cover, as a validation failure
 * naming the variable and the reference sent (never a value, nor where it would have been read); null when every one
 * is granted. Entries that are not references are left to the planner, which refuses them without repeating them.
 */
export function refusedSecret(secrets: unknown, projectId: string | null, grant: ProjectGrant, baseDir: string): FailureResult | null {
  if (secrets === null || typeof secrets !== "object" || Array.isArray(secrets)) return null;
  for (const [name, ref] of Object.entries(secrets as Record<string, unknown>)) {
    if (typeof ref !== "string") continue;
    const parsed = parseSecretReference(ref, projectId ?? "");
    if (!parsed.ok) continue;
    const canonical = canonicalReference(parsed.reference, baseDir);
    if (grant.secrets.some((glob) => globMatches(glob, canonical))) continue;
    const project = projectId === null ? "a request without project_id" : `project '${projectId}'`;
    return failure(
      "validation",
      `secrets.${name}: '${ref}' is not granted to ${project} on this service`,
      `Name a reference granted to the project (its own Vault path 'vault:${projectId ?? "<project_id>"}/...' by default), or ask the service's operator to grant it under 'projects' in the service configuration.`,
    );
  }
  return null;
}

/** The granted directory `real` (a real path) lies in, if any. */
const grantedRoot = (grant: ProjectGrant, real: string) => grant.sources.find((dir) => real === dir || real.startsWith(dir + path.sep));

/**
 * The directory a request's `source` names, symlinks resolved, when it exists inside one of the grant's source
 * directories (relative sources resolve against `baseDir`); otherwise a validation failure naming the source as
 * sent (`sentAs`, by default `source`), never where it resolved. A source that does not exist is refused: it could
 * appear later as a link leading out; the refusal says it is missing only when its nearest existing directory is
 * itself inside the grant, so it tells nothing about what exists elsewhere.
 */
export async function grantedSource(source: unknown, grant: ProjectGrant, baseDir: string, sentAs: unknown = source): Promise<{ readonly dir: string; readonly root: string } | FailureResult> {
  const refuse = failure(
    "validation",
    "source: outside the directories this project may deploy, or missing",
    "Name a directory inside one of the project's granted sources (relative to the service's source root), or ask the service's operator to grant it.",
  );
  if (typeof source !== "string" || source.length === 0 || source.length > 4096 || source.includes("\0")) return refuse;
  const lexical = path.resolve(baseDir, source);
  const real = await realpath(lexical).catch(() => null);
  if (real === null) {
    if (typeof sentAs !== "string" || !(await missingInsideGrant(lexical, grant))) return refuse;
    return failure(
      "validation",
      `source: '${sentAs.slice(0, 200)}' does not exist`,
      "Name an existing directory inside one of the project's granted sources (relative to the service's source root).",
    );
  }
  const root = grantedRoot(grant, real);
  return root === undefined ? refuse : { dir: real, root };
}

/** Whether the nearest existing directory above the missing path `lexical` is, symlinks resolved, inside the grant. */
async function missingInsideGrant(lexical: string, grant: ProjectGrant): Promise<boolean> {
  for (let dir = path.dirname(lexical); ; dir = path.dirname(dir)) {
    const real = await realpath(dir).catch(() => null);
    if (real !== null) return grantedRoot(grant, real) !== undefined;
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * `result` as a remote caller may see it: every occurrence of the absolute directory `planned` (the source as the
 * planner resolved it, e.g. `spec.build.source`) replaced by `dir`'s path relative to its granted source directory
 * `root` (`.` for the directory itself), so the caller learns nothing of the machine's file layout.
 */
export function withRelativeSource<T>(result: T, planned: string, dir: string, root: string): T {
  const relative = path.relative(root, dir) || ".";
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") return value.split(planned).join(relative);
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
    return value;
  };
  return scrub(result) as T;
}
