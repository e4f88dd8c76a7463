import type * as pulumi from "@pulumi/pulumi";

/** Where tsx's loader lives, so a provider process can load TypeScript implementation modules. */
const TSX_API = require.resolve("tsx/cjs/api");

/** Names of the implementation module's exports for each provider method. */
export interface ProviderExports {
  readonly create: string;
  readonly read: string;
  readonly delete: string;
  readonly diff: string;
  readonly update?: string;
}

/**
 * A dynamic provider whose methods load their implementation module in the provider process. Pulumi serializes a
 * dynamic provider's functions into the state; these capture only plain strings (the module's path, tsx's loader, the
 * export names), so the serialized code stays small and the logic stays in ordinary, tested modules. Each method passes
 * Pulumi's own arguments through: create(inputs), read(id, props), update(id, olds, news), delete(id, props),
 * diff(id, olds, news).
 */
export function lazyDynamicProvider(implementationPath: string, exportsByMethod: ProviderExports): pulumi.dynamic.ResourceProvider {
  const loader = TSX_API;
  const path = implementationPath;
  const names = { ...exportsByMethod };
  const load = (): Record<string, (...args: unknown[]) => Promise<never>> => {
    require(loader).register();
    return require(path);
  };
  const provider: pulumi.dynamic.ResourceProvider = {
    create: async (inputs) => load()[names.create]!(inputs),
    read: async (id, props) => load()[names.read]!(id, props),
    delete: async (id, props) => load()[names.delete]!(id, props),
    diff: async (id, olds, news) => load()[names.diff]!(id, olds, news),
  };
  if (names.update) provider.update = async (id, olds, news) => load()[names.update!]!(id, olds, news);
  return provider;
}
