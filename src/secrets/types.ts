import type { SecretSpec } from "../planner/spec";
import type { FailureResult } from "../outcome";
import type { SecretProblem } from "./source";

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
  /** Vault namespace the secret was read in, when one is configured. */
  readonly namespace?: string;
}

/** A secret resolved in memory for the length of one operation. */
export interface ResolvedSecret {
  readonly name: string;
  readonly value: string;
  readonly provenance: SecretProvenance;
}

/** Result of resolving every secret reference of a spec at once. */
export type SecretResolution =
  | {
      readonly ok: true;
      readonly secrets: readonly ResolvedSecret[];
      /** The same secrets without their values, in spec order: what a success result may carry. */
      readonly provenance: readonly SecretProvenance[];
    }
  | {
      readonly ok: false;
      readonly failure: FailureResult;
      /** Every problem with its kind and the secrets it affects, for callers that switch on the kind. */
      readonly problems: readonly SecretProblem[];
    };

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
