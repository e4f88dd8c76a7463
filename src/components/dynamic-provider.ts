import type * as pulumi from "@pulumi/pulumi";

/**
 * Environment variable naming the install of this package that engine processes load provider implementations
 * from. The automation layer sets it for every engine run; without it (a `pulumi` command run by hand in a project
 * that depends on this package) the package is found by name beside `@pulumi/pulumi`.
 */
export const PACKAGE_ROOT_ENV = "DEPLOYMENT_PLANNER_PACKAGE_ROOT";

/** Our dynamic providers, each a public entry point of the package: `deployment-planner/providers/<name>`. */
export type ProviderModule = "local" | "netlify" | "railway";

/** Names of the implementation module's exports for each provider method. */
export interface ProviderExports {
  readonly create: string;
  readonly read: string;
  readonly delete: string;
  readonly diff: string;
  readonly update?: string;
}

/** Every lazy provider made in this process, by key (`<module>:<create export>`). */
const lazyProviders = new Map<string, pulumi.dynamic.ResourceProvider>();
const providerKeys = new WeakMap<pulumi.dynamic.ResourceProvider, string>();

/**
 * A dynamic provider whose methods load their implementation in the provider process, by package name. Pulumi
 * serializes a dynamic provider's functions into the state; these capture only the provider's name and the export
 * names, never a path, so the state stays the same whichever install or machine deployed it, and moving or
 * reinstalling the package keeps existing stacks manageable. Each method passes Pulumi's own arguments through:
 * create(inputs), read(id, props), update(id, olds, news), delete(id, props), diff(id, olds, news).
 */
export function lazyDynamicProvider(providerModule: ProviderModule, exportsByMethod: ProviderExports): pulumi.dynamic.ResourceProvider {
  const key = `${providerModule}:${exportsByMethod.create}`;
  const specifier = `deployment-planner/providers/${providerModule}`;
  const rootVariable = PACKAGE_ROOT_ENV;
  const names = { ...exportsByMethod };
  const load = (): Record<string, (...args: unknown[]) => Promise<never>> => {
    const root = process.env[rootVariable];
    // A require rooted inside the package resolves the package's own name through its `exports` map.
    const loader = root ? require("node:module").createRequire(`${root}/package.json`) : require;
    return loader(specifier);
  };
  const provider: pulumi.dynamic.ResourceProvider = {
    create: async (inputs) => load()[names.create]!(inputs),
    read: async (id, props) => load()[names.read]!(id, props),
    delete: async (id, props) => load()[names.delete]!(id, props),
    diff: async (id, olds, news) => load()[names.diff]!(id, olds, news),
  };
  if (names.update) provider.update = async (id, olds, news) => load()[names.update!]!(id, olds, news);
  lazyProviders.set(key, provider);
  providerKeys.set(provider, key);
  return provider;
}

/** The key of a provider `lazyDynamicProvider` made (`<module>:<create export>`), or undefined for any other provider. */
export function lazyProviderKey(provider: pulumi.dynamic.ResourceProvider): string | undefined {
  return providerKeys.get(provider);
}

/** The lazy providers made in this process so far, by key. */
export function lazyProvidersMade(): ReadonlyMap<string, pulumi.dynamic.ResourceProvider> {
  return lazyProviders;
}
