/**
 * Secrets: references in a spec (`env:`, `file:`, `vault:`) resolved at deploy time into values held only in memory,
 * the pre-deployment check that reports every unresolvable reference at once, and the masking layer that keeps
 * resolved values out of logs, stored output, errors and CLI output. See docs/secrets.md.
 */
export { resolveSecrets, SECRET_SOURCES } from "./resolve";
export { describeSecretLocation, type SecretLocation } from "./location";
export { maskerFor, MIN_MASKED_LENGTH, SECRET_MASK, SecretMasker } from "./masker";
export {
  DEFAULT_KV_MOUNT,
  parseSecretReference,
  REFERENCE_SYNTAX,
  type EnvReference,
  type FileReference,
  type ParsedReference,
  type SecretReference,
  type VaultReference,
} from "./reference";
export { friendlySecretName, type SecretSource } from "./source";
export { createVaultSource } from "./vault-source";
export {
  DEFAULT_VAULT_MAX_RETRIES,
  DEFAULT_VAULT_TIMEOUT_MS,
  VaultClient,
  vaultSettingsFromEnv,
  type VaultSettings,
} from "./vault-client";
export type {
  ResolvedSecret,
  ResolveSecrets,
  ResolveSecretsOptions,
  SecretProblem,
  SecretProblemKind,
  SecretProvenance,
  SecretResolution,
  SecretScheme,
} from "./types";
