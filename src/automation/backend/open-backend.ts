import { fileStateBackend } from "./file-backend";
import { postgresStateBackend } from "./postgres-backend";
import type { StateBackend, StateBackendSettings } from "../workspace/index";

export type {
  EngineLockDocument,
  LeaseState,
  StackLock,
  StackLockOptions,
  StateBackend,
  StateBackendSettings,
  StateReader,
} from "../workspace/index";

/** The environment variable that shortens or lengthens the stack lock's lease (milliseconds, at least 2000). */
export const LEASE_TTL_ENV = "DEPLOYMENT_PLANNER_LEASE_TTL_MS";

/** The lease time to live `env` asks for, or undefined for the default. */
export function leaseTtlFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env[LEASE_TTL_ENV]);
  return Number.isInteger(value) && value >= 2000 ? value : undefined;
}

/** The state backend of a backend URL: the one place that tells the backends apart. */
export function openStateBackend(backendUrl: string, settings: StateBackendSettings): StateBackend {
  if (backendUrl.startsWith("file://")) return fileStateBackend(new URL(backendUrl).pathname, settings);
  if (/^postgres(ql)?:\/\//.test(backendUrl)) return postgresStateBackend(backendUrl, settings);
  return unreadableStateBackend();
}

/** A backend this product can neither read nor write (object stores, Pulumi Cloud): the engine's own lock holds alone. */
function unreadableStateBackend(): StateBackend {
  return {
    kind: "other",
    reader: null,
    filePath: () => null,
    engineLocks: async () => [],
    removeEngineLock: async () => undefined,
    acquireStackLock: async () => ({ release: async () => undefined }),
    stackLockHeld: async () => false,
    breakStackLock: async () => null,
    hostLeaseState: async () => "none",
    removeExpiredLeases: async () => undefined,
    createStackRecord: async () => false,
  };
}
