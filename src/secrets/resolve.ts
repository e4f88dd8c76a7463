import { failure } from "../outcome";
import { envSource } from "./env-source";
import { fileSource } from "./file-source";
import { parseSecretReference, REFERENCE_SYNTAX, type SecretReference } from "./reference";
import type { ReferenceByScheme, SecretSource, SourceContext, SourceOutcome, SourceRequest } from "./source";
import type { ResolvedSecret, ResolveSecrets, SecretProblem, SecretProvenance, SecretScheme } from "./types";
import { vaultSource } from "./vault-source";

/** The source for each scheme; a new scheme without a source does not compile. */
export const SECRET_SOURCES = {
  env: envSource,
  file: fileSource,
  vault: vaultSource,
} satisfies { [S in SecretScheme]: SecretSource<S> };

type Pending = { index: number; name: string; reference: SecretReference };

/**
 * Resolves every secret reference of a spec — the pre-deployment secrets check. Values are held only in the returned
 * objects. Every problem is collected before answering, so one failure object (stage `env_setup`) lists them all:
 * `reason` is the first, `problems` has each when there are several, and `fix_suggestion` says where each value belongs.
 */
export const resolveSecrets: ResolveSecrets = async (secrets, options) => {
  const context: SourceContext = {
    projectId: options.projectId,
    env: options.env ?? process.env,
    baseDir: options.baseDir ?? process.cwd(),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  // Each problem with the spec position it was first seen at, so `reason` is about the first secret that failed.
  const problems: { problem: SecretProblem; at: number }[] = [];
  const values: (ResolvedSecret | undefined)[] = new Array(secrets.length).fill(undefined);
  const byScheme: { [S in SecretScheme]: Pending[] } = { env: [], file: [], vault: [] };

  const seen = new Set<string>();
  secrets.forEach((secret, index) => {
    if (seen.has(secret.name)) {
      problems.push({
        at: index,
        problem: { kind: "duplicate", names: [secret.name], message: `Secret ${secret.name} is listed more than once`, fix: `Keep one reference for ${secret.name}` },
      });
      return;
    }
    seen.add(secret.name);
    const parsed = parseSecretReference(secret.ref, options.projectId);
    if (!parsed.ok) {
      problems.push({
        at: index,
        problem: {
          kind: "bad_reference",
          names: [secret.name],
          message: `The reference for ${secret.name} ${parsed.error}`,
          fix: `Write the reference for ${secret.name} as ${Object.values(REFERENCE_SYNTAX).join(", ")}`,
        },
      });
      return;
    }
    byScheme[parsed.reference.scheme].push({ index, name: secret.name, reference: parsed.reference });
  });

  // Sources run side by side: a slow Vault does not hold up reading files, and every problem is found in one pass.
  const answered = await Promise.all(
    (Object.keys(byScheme) as SecretScheme[]).map(async (scheme) => {
      const pending = byScheme[scheme];
      if (pending.length === 0) return [] as const;
      const outcomes = await runSource(scheme, pending, context);
      return pending.map((p, i) => [p, outcomes[i]] as const);
    }),
  );
  for (const [pending, outcome] of answered.flat()) {
    if (!outcome) {
      problems.push({
        at: pending.index,
        problem: { kind: "vault_error", names: [pending.name], message: `No answer for ${pending.name}`, fix: "Report this as a bug" },
      });
    } else if (outcome.ok) {
      values[pending.index] = { name: pending.name, value: outcome.value, provenance: outcome.provenance };
    } else {
      // A shared problem (Vault down, not configured) is one object for many secrets; it is reported once.
      const known = problems.find((p) => p.problem === outcome.problem);
      if (known) known.at = Math.min(known.at, pending.index);
      else problems.push({ at: pending.index, problem: outcome.problem });
    }
  }

  if (problems.length > 0) {
    const ordered = problems.sort((a, b) => a.at - b.at).map((p) => p.problem);
    const setups = [...new Map(ordered.flatMap((p) => (p.setup ? [[p.setup.message, p.setup] as const] : []))).values()];
    const messages = [...ordered.map((p) => p.message), ...setups.map((s) => s.message)];
    const fixes = [...new Set([...ordered.map((p) => p.fix), ...setups.map((s) => s.fix)])];
    return {
      ok: false,
      failure: failure("env_setup", messages[0]!, fixes.join("; "), { problems: messages }),
      problems: ordered,
    };
  }
  const resolved = values.filter((v): v is ResolvedSecret => v !== undefined);
  return { ok: true, secrets: resolved, provenance: resolved.map((s): SecretProvenance => s.provenance) };
};

function runSource(scheme: SecretScheme, pending: readonly Pending[], context: SourceContext): Promise<SourceOutcome[]> {
  // Each scheme's requests carry that scheme's reference type; the switch lets the compiler check it.
  switch (scheme) {
    case "env":
      return SECRET_SOURCES.env.resolve(narrow<"env">(pending), context);
    case "file":
      return SECRET_SOURCES.file.resolve(narrow<"file">(pending), context);
    case "vault":
      return SECRET_SOURCES.vault.resolve(narrow<"vault">(pending), context);
  }
}

function narrow<S extends SecretScheme>(pending: readonly Pending[]): SourceRequest<ReferenceByScheme[S]>[] {
  return pending.map((p) => ({ name: p.name, reference: p.reference as ReferenceByScheme[S] }));
}
