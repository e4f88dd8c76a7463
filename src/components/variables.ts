import * as pulumi from "@pulumi/pulumi";

/** The variable inputs of this package's dynamic resources: plain ones as they are, the secret ones as one secret. */
export function variableInputs(
  env: Readonly<Record<string, string>> | undefined,
  secretEnv: Readonly<Record<string, pulumi.Input<string>>> | undefined,
): { env: Record<string, string>; secretEnv: pulumi.Output<Record<string, string>> } {
  return { env: { ...(env ?? {}) }, secretEnv: pulumi.secret(pulumi.output(secretEnv ?? {})) as pulumi.Output<Record<string, string>> };
}

/** Options of a dynamic resource with secret variables: the provider's copy of `secretEnv` in its outputs stays secret too. */
export function withSecretVariables(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secretEnv"] };
}
