import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The environment our dynamic providers' implementations read their settings from (the workspace, warm releases, a
 * platform's token). In a provider process the engine started, that is the process's own environment. When the
 * deploying process serves the provider protocol itself (see `automation/engine/provider-host.ts`), each call runs
 * with the environment the engine run was given, exactly what a provider process would have inherited, so two
 * workspaces deploying in one process never read each other's settings.
 */
export function providerEnv(): NodeJS.ProcessEnv {
  return providerEnvStorage().getStore()?.env ?? process.env;
}

/**
 * Aborted when the engine gives up on the provider call running now (a cancelled update, an engine that died), as
 * the engine would kill a provider process of its own; undefined in a provider process (the process itself dies
 * then). Requests that hand work to another process (the local supervisor) pass it on, so that process abandons it.
 */
export function providerSignal(): AbortSignal | undefined {
  return providerEnvStorage().getStore()?.signal;
}

/** Runs `body` (and everything it starts) with `env` as the providers' environment and `signal` as its cancellation. */
export function withProviderEnv<T>(env: NodeJS.ProcessEnv, body: () => T, signal?: AbortSignal): T {
  return providerEnvStorage().run({ env, signal }, body);
}

/** What a provider call runs with. */
interface ProviderCallContext {
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
}

/**
 * One storage per process, kept on the global object: the provider implementations are loaded through the package's
 * public entry points (`deployment-planner/providers/<name>`), which may be another copy of this module than the one
 * the host imported (compiled files beside sources run by a test runner), and both must see the same store.
 */
function providerEnvStorage(): AsyncLocalStorage<ProviderCallContext> {
  const key = Symbol.for("deployment-planner.provider-environment");
  const holder = globalThis as { [key]?: AsyncLocalStorage<ProviderCallContext> };
  return (holder[key] ??= new AsyncLocalStorage<ProviderCallContext>());
}
