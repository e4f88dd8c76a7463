import { kvMount, parseSecretReference, resolveFilePath } from "./reference";
import type { SecretScheme } from "./types";

/** Where a secret is expected, for `plan` to show before anything is read. Holds no value. */
export type SecretLocation =
  | {
      readonly valid: true;
      readonly scheme: SecretScheme;
      /** Same form as provenance: the variable, `file#KEY`, or `mount/path#key`. */
      readonly location: string;
      /** Pinned Vault version, if the reference pins one. */
      readonly version?: number;
      /** A sentence for people, e.g. "Vault KV v2 secret 'secret/pf-789', key 'STRIPE_SECRET_KEY' (latest version)". */
      readonly description: string;
    }
  | { readonly valid: false; readonly error: string };

/**
 * Describes where a reference's value is expected, without reading it. `projectId` fills in the short form
 * `vault:#KEY`; `env` supplies `VAULT_KV_MOUNT`, `baseDir` anchors relative `file:` paths (both default to this process's).
 */
export function describeSecretLocation(
  ref: string,
  projectId: string,
  options: { env?: NodeJS.ProcessEnv; baseDir?: string } = {},
): SecretLocation {
  const parsed = parseSecretReference(ref, projectId);
  if (!parsed.ok) return { valid: false, error: `reference ${parsed.error}` };
  const reference = parsed.reference;
  switch (reference.scheme) {
    case "env":
      return {
        valid: true,
        scheme: "env",
        location: reference.variable,
        description: `environment variable ${reference.variable} of the deploying process`,
      };
    case "file": {
      const file = resolveFilePath(reference, options.baseDir ?? process.cwd());
      return { valid: true, scheme: "file", location: `${file}#${reference.key}`, description: `key ${reference.key} of dotenv file ${file} (mode 0600)` };
    }
    case "vault": {
      const mount = kvMount(options.env ?? process.env);
      const version = reference.version;
      return {
        valid: true,
        scheme: "vault",
        location: `${mount}/${reference.path}#${reference.key}`,
        ...(version !== undefined ? { version } : {}),
        description: `Vault KV v2 secret '${mount}/${reference.path}', key '${reference.key}' (${version !== undefined ? `version ${version}` : "latest version"})`,
      };
    }
  }
}
