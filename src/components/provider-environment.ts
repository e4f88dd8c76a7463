import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The environment our dynamic providers' implementations read their settings from (the workspace, warm releases, a
 * platform's token). In a provider process the engine started, that is the process's own environment. When the
 * deploying process serves the provider protocol itself (see `automation/engine/provider-host.ts`), each call runs
 * with the environment the engine run was given, exactly what a provider process would have inherited, so two
 * workspaces deploying in one process never read each other's settings.
 */
export function providerEnv(): NodeJS.ProcessEnv {
  return providerEnvStorage().getStore() ?? process.env;
}

/** Runs `body` (and everything it starts) with `env` as the providers' environment. */
export function withProviderEnv<T>(env: NodeJS.ProcessEnv, body: () => T): T {
  return providerEnvStorage().run(env, body);
}

/**
 * One storage per process, kept on the global object: the provider implementations are loaded through the package's
 * public entry points (`deployment-planner/providers/<name>`), which may be another copy of this module than the one
 * the host imported (compiled files beside sources run by a test runner), and both must see the same store.
 */
function providerEnvStorage(): AsyncLocalStorage<NodeJS.ProcessEnv> {
  const key = Symbol.for("deployment-planner.provider-environment");
  const holder = globalThis as { [key]?: AsyncLocalStorage<NodeJS.ProcessEnv> };
  return (holder[key] ??= new AsyncLocalStorage<NodeJS.ProcessEnv>());
}
