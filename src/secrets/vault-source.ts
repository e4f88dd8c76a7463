import { DEFAULT_KV_MOUNT, kvMount, type VaultReference } from "./reference";
import { friendlySecretName, missingMessage, problem, type SecretSource, type SourceOutcome, type SourceRequest } from "./source";
import type { SecretProblem } from "./types";
import { type KvReadResult, VaultClient, VaultRequestAbortedError, type VaultSettings, vaultSettingsFromEnv, VaultUnreachableError } from "./vault-client";

/**
 * Makes the source for `vault:path#key[@version]` references: HashiCorp Vault's (or OpenBao's) KV v2 engine, read
 * over HTTP with the settings of `vaultSettingsFromEnv`. Each distinct path and version is read once; a token, or
 * one AppRole login, serves every read.
 */
export function createVaultSource(overrides: Partial<VaultSettings> = {}): SecretSource<"vault"> {
  return {
    scheme: "vault",
    async resolve(requests, context) {
      const names = requests.map((r) => r.name);
      const configured = vaultSettingsFromEnv(context.env, overrides);
      if (!configured.ok) {
        // Each value is still reported as missing (`Missing ENV: <NAME>`), and each fix still says where in Vault it belongs; how
        // to reach Vault comes once, after them.
        const where = { kvMount: overrides.kvMount ?? kvMount(context.env), namespace: overrides.namespace ?? (context.env.VAULT_NAMESPACE?.trim() || undefined) };
        const setup = { message: `${configured.message} (needed for ${list(names)})`, fix: configured.fix };
        return requests.map(({ name, reference }) => ({ ok: false, problem: { ...missing(name, reference, where), kind: "not_configured", setup } }));
      }
      const settings = configured.settings;
      const client = new VaultClient(settings);
      try {
        const login = await client.authenticate(context.signal);
        if (!login.ok) {
          const detail = login.errors.length ? login.errors.join("; ") : `HTTP ${login.status}`;
          return shared(requests, {
            kind: "auth_failed",
            names,
            message: `Vault AppRole login at ${settings.address} (mount '${settings.appRole?.mount}') was rejected: ${detail} (needed for ${list(names)})`,
            fix: "Check VAULT_ROLE_ID and VAULT_SECRET_ID (a secret ID may have expired or run out of uses), or set VAULT_TOKEN",
          });
        }
        const reads = new Map<string, Promise<KvReadResult>>();
        const read = (reference: VaultReference) => {
          const cacheKey = `${reference.path}@${reference.version ?? "latest"}`;
          let pending = reads.get(cacheKey);
          if (!pending) {
            pending = client.readKv(reference.path, reference.version, context.signal);
            reads.set(cacheKey, pending);
          }
          return pending;
        };
        const settled = await Promise.allSettled(requests.map((request) => read(request.reference)));
        return collect(requests, settled, settings);
      } catch (error) {
        return shared(requests, transportProblem(error, names, settings));
      } finally {
        client.close();
      }
    },
  };
}

/** The source used by `resolveSecrets`, configured from the environment it is given. */
export const vaultSource: SecretSource<"vault"> = createVaultSource();

function collect(
  requests: readonly SourceRequest<VaultReference>[],
  settled: readonly PromiseSettledResult<KvReadResult>[],
  settings: VaultSettings,
): SourceOutcome[] {
  // A Vault that cannot be reached is one problem, however many secrets it holds.
  const transportFailed = requests.filter((_, i) => settled[i]?.status === "rejected").map((r) => r.name);
  const firstRejection = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  const transport = firstRejection ? transportProblem(firstRejection.reason, transportFailed, settings) : undefined;

  return requests.map(({ name, reference }, i): SourceOutcome => {
    const outcome = settled[i];
    if (!outcome || outcome.status === "rejected") return { ok: false, problem: transport! };
    const result = outcome.value;
    const where = displayPath(settings.kvMount, reference.path);
    switch (result.kind) {
      case "found": {
        const raw = result.data[reference.key];
        const value = raw === undefined || raw === null ? "" : typeof raw === "string" ? raw : JSON.stringify(raw);
        if (value === "") return { ok: false, problem: missing(name, reference, settings) };
        return {
          ok: true,
          value,
          provenance: {
            name,
            scheme: "vault",
            location: `${settings.kvMount}/${reference.path}#${reference.key}`,
            version: result.version,
            ...(settings.namespace ? { namespace: settings.namespace } : {}),
          },
        };
      }
      case "not_found":
        return { ok: false, problem: missing(name, reference, settings, result.deleted) };
      case "permission_denied":
        return {
          ok: false,
          problem: problem(
            "permission_denied",
            name,
            `Permission denied reading ${name} from Vault at ${settings.kvMount}/${reference.path}${nsSuffix(settings)}`,
            `Give the Vault token a policy with "read" on "${settings.kvMount}/data/${reference.path}" (or use a token or AppRole that has one); an expired or revoked token is also refused this way`,
          ),
        };
      case "error":
        return {
          ok: false,
          problem: problem(
            "vault_error",
            name,
            `Vault answered HTTP ${result.status} reading ${name} from ${where}${result.errors.length ? `: ${result.errors.join("; ")}` : ""}`,
            `Check that '${settings.kvMount}' is a KV version 2 mount (VAULT_KV_MOUNT) and that Vault at ${settings.address} is healthy`,
          ),
        };
    }
  });
}

function missing(name: string, reference: VaultReference, settings: Pick<VaultSettings, "kvMount" | "namespace">, deleted = false): SecretProblem {
  const where = displayPath(settings.kvMount, reference.path);
  const what = friendlySecretName(name);
  const asKey = reference.key === name ? "" : ` as '${reference.key}'`;
  if (reference.version === undefined) {
    return problem("missing", name, missingMessage(name), `Add ${what} to Vault under '${where}'${asKey}${nsSuffix(settings)}`);
  }
  // Adding the key again would create a new version, not fill the pinned one, so the fix is about the pin.
  const state = deleted ? "was deleted or destroyed" : `does not exist or has no key '${reference.key}'`;
  const fix = `Version ${reference.version} of '${where}' in Vault ${state}; pin a version that holds ${what}${asKey}, or drop '@${reference.version}' to read the latest`;
  return problem("missing", name, missingMessage(name), fix);
}

function transportProblem(error: unknown, names: readonly string[], settings: VaultSettings): SecretProblem {
  if (error instanceof VaultRequestAbortedError) {
    return { kind: "cancelled", names, message: `Reading ${list(names)} from Vault was cancelled`, fix: "Run the operation again" };
  }
  if (error instanceof VaultUnreachableError) {
    return {
      kind: "unreachable",
      names,
      message: `${error.message} (needed for ${list(names)})`,
      fix: `Check that Vault is running and reachable at ${settings.address} (VAULT_ADDR), or raise VAULT_CLIENT_TIMEOUT / VAULT_MAX_RETRIES if it is slow`,
    };
  }
  return {
    kind: "vault_error",
    names,
    message: `Reading ${list(names)} from Vault at ${settings.address} failed: ${(error as Error).message}`,
    fix: `Check VAULT_ADDR (${settings.address}) and VAULT_CACERT`,
  };
}

function shared(requests: readonly SourceRequest<VaultReference>[], sharedProblem: SecretProblem): SourceOutcome[] {
  return requests.map(() => ({ ok: false, problem: sharedProblem }));
}

/** The path as people write it for this mount: the mount is left out when it is the default `secret`. */
function displayPath(mount: string, secretPath: string): string {
  return mount === DEFAULT_KV_MOUNT ? secretPath : `${mount}/${secretPath}`;
}

function nsSuffix(settings: Pick<VaultSettings, "namespace">): string {
  return settings.namespace ? ` (namespace '${settings.namespace}')` : "";
}

function list(names: readonly string[]): string {
  return names.join(", ");
}
