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
  /** Vault namespace the secret was read in, when one is configured. */
  readonly namespace?: string;
}

/** A secret resolved in memory for the length of one operation. */
export interface ResolvedSecret {
  readonly name: string;
  readonly value: string;
  readonly provenance: SecretProvenance;
}

/** Kinds of problem a secret can have; a caller can switch on them without parsing text. */
export type SecretProblemKind =
  | "bad_reference" // the reference does not parse
  | "duplicate" // two secrets expose the same variable
  | "missing" // the place exists or is reachable but holds no value for the key
  | "insecure_file" // a secrets file is readable or writable by group or others
  | "unreadable" // a secrets file exists but cannot be read or parsed
  | "not_configured" // Vault is referenced but VAULT_ADDR or credentials are not set
  | "auth_failed" // Vault rejected the AppRole login
  | "permission_denied" // Vault denied reading the path
  | "unreachable" // Vault did not answer within the time and retry budget
  | "vault_error" // Vault answered with an unexpected error
  | "cancelled"; // the caller's AbortSignal fired

/** One problem found while resolving secrets. Never holds a value. */
export interface SecretProblem {
  readonly kind: SecretProblemKind;
  /** Secrets the problem affects. */
  readonly names: readonly string[];
  /** One line for the failure's `reason` / `problems`, e.g. "Missing ENV: STRIPE_SECRET_KEY". */
  readonly message: string;
  /** What to do, naming where the value belongs, e.g. "Add Stripe key to Vault under 'platform-a'". */
  readonly fix: string;
  /**
   * What must be set up before the value can be read at all (Vault not configured), shared by every secret it
   * affects and reported once after them.
   */
  readonly setup?: { readonly message: string; readonly fix: string };
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
