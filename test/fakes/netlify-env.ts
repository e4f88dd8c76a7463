import { randomUUID } from "node:crypto";

/** One value of a variable in the FAKE Netlify: the deploy context it applies to. */
export interface FakeEnvValue {
  readonly id: string;
  readonly value: string;
  readonly context: string;
  readonly context_parameter?: string;
}

/** A site's variable as the FAKE Netlify keeps it. */
export interface FakeEnvVar {
  readonly key: string;
  readonly scopes: string[];
  readonly values: FakeEnvValue[];
  readonly is_secret: boolean;
  readonly updated_at: string;
}

/** A variable as a client sends it to `createEnvVars` or `updateEnvVar` (already checked against the description). */
export interface EnvVarInput {
  readonly key?: string;
  readonly scopes?: string[];
  readonly values?: { value?: string; context?: string; context_parameter?: string }[];
  readonly is_secret?: boolean;
}

/** Every scope the description lists; a variable without `scopes` has them all. */
export const ALL_SCOPES = ["builds", "functions", "runtime", "post-processing"];

/**
 * Why Netlify would refuse this variable, or null. The rules are those netlify/cli applies before it calls the API
 * (`env:set`): a secret may not be in the post-processing scope, and a secret's value may not be given for the `all`
 * or `dev` contexts, whose values stay readable.
 */
export function refuseEnvVar(input: EnvVarInput): string | null {
  if (!input.key) return "key is required";
  if (!input.is_secret) return null;
  if ((input.scopes ?? ALL_SCOPES).some((scope) => /post[-_]processing/.test(scope))) return `secret ${input.key}: secret values cannot be used in the post-processing scope`;
  if ((input.values ?? []).some((v) => v.context === "all" || v.context === "dev")) return `secret ${input.key}: a secret value needs a non-development context`;
  return null;
}

/** The variable as the fake stores it. */
export function storedEnvVar(input: EnvVarInput & { key: string }): FakeEnvVar {
  return {
    key: input.key,
    scopes: [...(input.scopes ?? ALL_SCOPES)],
    values: (input.values ?? []).map((v) => ({ id: randomUUID(), value: v.value ?? "", context: v.context ?? "all", ...(v.context_parameter ? { context_parameter: v.context_parameter } : {}) })),
    is_secret: input.is_secret ?? false,
    updated_at: new Date().toISOString(),
  };
}

/**
 * The variable as Netlify answers it. A secret's values are readable only in the local development context (the
 * description of `is_secret`), so every other value of a secret is left out of the answer.
 */
export function envVarView(envVar: FakeEnvVar): Record<string, unknown> {
  return {
    key: envVar.key,
    scopes: envVar.scopes,
    values: envVar.values.map((v) => (envVar.is_secret && v.context !== "dev" ? { id: v.id, context: v.context } : { ...v })),
    is_secret: envVar.is_secret,
    updated_at: envVar.updated_at,
  };
}
