import * as pulumi from "@pulumi/pulumi";
import { PackageDynamicResource } from "./dynamic-resource";

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

/**
 * A resource of one of our API-backed dynamic providers (Netlify, Railway): its inputs with the variables split into
 * plain and secret, its output properties declared (as Pulumi needs them present, unset, at registration), and the
 * secret variables kept secret in its outputs.
 */
export abstract class ApiBackedResource extends PackageDynamicResource {
  protected constructor(
    provider: pulumi.dynamic.ResourceProvider,
    name: string,
    inputs: Record<string, unknown> & { readonly env?: Readonly<Record<string, string>>; readonly secretEnv?: Readonly<Record<string, pulumi.Input<string>>> },
    outputNames: readonly string[],
    opts: pulumi.CustomResourceOptions | undefined,
    typeModule: string,
    typeName: string,
  ) {
    const { env, secretEnv, ...rest } = inputs;
    const declaredOutputs = Object.fromEntries(outputNames.map((output) => [output, undefined]));
    super(provider, name, { ...rest, ...variableInputs(env, secretEnv), ...declaredOutputs }, withSecretVariables(opts), typeModule, typeName);
  }
}
