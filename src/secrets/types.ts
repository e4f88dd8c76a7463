import type { SecretSpec } from "../planner/spec";
import type { FailureResult } from "../outcome";

/** Schemes a secret reference can use. */
export type SecretScheme = "env" | "file" | "vault";

/** Where a resolved secret came from; safe to print, store and return (it never holds the value). */
export interface SecretProvenance {
  readonly name: string;
  readonly scheme: SecretScheme;
  /** The env var name, the file path and key, or the Vault mount/path#key. */
  readonly location: string;
  /** Vault KV v2 version that was read, when the scheme is vault. */
  readonly version?: number;
}

/** A secret resolved in memory for the length of one operation. */
export interface ResolvedSecret {
  readonly name: string;
  readonly value: string;
  readonly provenance: SecretProvenance;
}

/** Result of resolving every secret reference of a spec at once. */
export type SecretResolution =
  | { readonly ok: true; readonly secrets: readonly ResolvedSecret[] }
  | { readonly ok: false; readonly failure: FailureResult };

/** Options for resolving secret references. */
export interface ResolveSecretsOptions {
  /** Project whose Vault path convention applies to short references. */
  readonly projectId: string;
  /** Environment to read `env:` references from; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory that relative `file:` paths are resolved against. */
  readonly baseDir?: string;
  readonly signal?: AbortSignal;
}

/** Resolves all secret references of a spec; reports every problem in one failure object (stage `env_setup`). */
export type ResolveSecrets = (secrets: readonly SecretSpec[], options: ResolveSecretsOptions) => Promise<SecretResolution>;
