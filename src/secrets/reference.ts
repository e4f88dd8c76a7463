import path from "node:path";
import type { SecretScheme } from "./types";

/**
 * Parsing of secret references. A reference says where a value lives, never what it is:
 *
 * - `env:NAME` — variable `NAME` of the deploying process's environment;
 * - `file:path#KEY` — key `KEY` of a dotenv file (relative paths are resolved against the base directory);
 * - `vault:path#key` or `vault:path#key@version` — key `key` of the KV v2 secret at `path` under the configured mount;
 *   `vault:#key` is short for `vault:<project_id>#key`, the default place for a project's secrets.
 */

/** Default KV v2 mount, as in a Vault or OpenBao dev server. */
export const DEFAULT_KV_MOUNT = "secret";

/** A parsed `env:` reference. */
export interface EnvReference {
  readonly scheme: "env";
  readonly variable: string;
}

/** A parsed `file:` reference; `path` is as written (resolve it with `resolveFilePath`). */
export interface FileReference {
  readonly scheme: "file";
  readonly path: string;
  readonly key: string;
}

/** A parsed `vault:` reference; `path` is relative to the KV v2 mount and never empty. */
export interface VaultReference {
  readonly scheme: "vault";
  readonly path: string;
  readonly key: string;
  /** A pinned KV v2 version; absent means the latest version. */
  readonly version?: number;
}

/** Any parsed secret reference. */
export type SecretReference = EnvReference | FileReference | VaultReference;

/** Result of parsing a reference: the reference, or a message that explains the expected syntax. */
export type ParsedReference = { readonly ok: true; readonly reference: SecretReference } | { readonly ok: false; readonly error: string };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Vault path segments may hold most characters; these are the ones that would change the request's meaning.
const VAULT_SEGMENT = /^[^\s#?@%/\\]+$/;
const VAULT_KEY = /^[^\s#?@]+$/;

/** Syntax of each scheme, quoted in error messages. */
export const REFERENCE_SYNTAX: Record<SecretScheme, string> = {
  env: "env:NAME",
  file: "file:path#KEY",
  vault: "vault:path#key[@version]",
};

/**
 * Parses a secret reference. `projectId` fills in the path of the short form `vault:#key`.
 * Error messages quote the reference only when it starts with a known scheme: anything else may be a value pasted
 * by mistake, and a value must never reach an error message.
 */
export function parseSecretReference(ref: string, projectId: string): ParsedReference {
  const colon = ref.indexOf(":");
  const scheme = colon > 0 ? ref.slice(0, colon) : "";
  const rest = colon > 0 ? ref.slice(colon + 1) : "";
  switch (scheme) {
    case "env":
      return ENV_NAME.test(rest)
        ? { ok: true, reference: { scheme: "env", variable: rest } }
        : bad(ref, "env", "the part after 'env:' must be an environment variable name");
    case "file": {
      const hash = rest.lastIndexOf("#");
      if (hash < 0) return bad(ref, "file", "it names no key (add '#KEY')");
      const filePath = rest.slice(0, hash);
      const key = rest.slice(hash + 1);
      if (!filePath) return bad(ref, "file", "it names no file");
      if (!ENV_NAME.test(key)) return bad(ref, "file", "the key after '#' must be a variable name");
      return { ok: true, reference: { scheme: "file", path: filePath, key } };
    }
    case "vault":
      return parseVault(ref, rest, projectId);
    default:
      return {
        ok: false,
        error: `is not a secret reference: it must start with env:, file: or vault: (${Object.values(REFERENCE_SYNTAX).join(", ")})`,
      };
  }
}

function parseVault(ref: string, rest: string, projectId: string): ParsedReference {
  const hash = rest.indexOf("#");
  if (hash < 0) return bad(ref, "vault", "it names no key (add '#key')");
  const rawPath = rest.slice(0, hash);
  let key = rest.slice(hash + 1);
  let version: number | undefined;
  const at = key.lastIndexOf("@");
  if (at >= 0) {
    const pinned = key.slice(at + 1);
    if (!/^[1-9][0-9]{0,9}$/.test(pinned)) return bad(ref, "vault", `the version after '@' must be a positive whole number`);
    version = Number(pinned);
    key = key.slice(0, at);
  }
  if (!key || !VAULT_KEY.test(key)) return bad(ref, "vault", "the key after '#' is empty or contains whitespace, '#', '?' or '@'");
  const vaultPath = rawPath === "" ? projectId : rawPath;
  const segments = vaultPath.split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === ".." || !VAULT_SEGMENT.test(segment))) {
    return bad(ref, "vault", "the path must be segments separated by single '/', without '.', '..', whitespace, '?', '@', '%' or '\\'");
  }
  return { ok: true, reference: { scheme: "vault", path: vaultPath, key, ...(version !== undefined ? { version } : {}) } };
}

function bad(ref: string, scheme: SecretScheme, why: string): ParsedReference {
  return { ok: false, error: `'${ref}' is not a valid ${scheme} reference (${REFERENCE_SYNTAX[scheme]}): ${why}` };
}

/** Absolute path of a `file:` reference's file. */
export function resolveFilePath(reference: FileReference, baseDir: string): string {
  return path.resolve(baseDir, reference.path);
}

/** The KV v2 mount to use: `VAULT_KV_MOUNT` without surrounding slashes, else `secret`. */
export function kvMount(env: NodeJS.ProcessEnv): string {
  const configured = (env.VAULT_KV_MOUNT ?? "").trim().replace(/^\/+|\/+$/g, "");
  return configured || DEFAULT_KV_MOUNT;
}
