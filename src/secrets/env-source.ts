import { friendlySecretName, missingMessage, problem, type SecretSource, type SourceOutcome } from "./source";

/** Reads `env:NAME` references from the deploying process's environment (or the environment the caller passes). */
export const envSource: SecretSource<"env"> = {
  scheme: "env",
  async resolve(requests, context) {
    return requests.map(({ name, reference }): SourceOutcome => {
      const value = context.env[reference.variable];
      // An empty variable is almost always an unset one exported by a script; deploying with it would fail later.
      if (value === undefined || value === "") {
        const what = friendlySecretName(name);
        const label = what === name ? name : `${name} (${what})`;
        const fix =
          reference.variable === name
            ? `Set ${label} in the environment of the process that deploys`
            : `Set ${reference.variable} (read as ${label}) in the environment of the process that deploys`;
        return { ok: false, problem: problem("missing", name, missingMessage(name), fix) };
      }
      return { ok: true, value, provenance: { name, scheme: "env", location: reference.variable } };
    });
  },
};
