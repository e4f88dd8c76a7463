import type { PlannerWorkspace } from "../workspace/index";
import { startProviderHost, type ProviderHost } from "./provider-host";
import { engineWorkspace } from "./stack-handles";

/** The engine's setting that makes it attach to a listening provider instead of starting one. */
const ATTACH_VARIABLE = "PULUMI_DEBUG_PROVIDERS";

/** The package name the engine gives Node.js dynamic providers. */
const DYNAMIC_PROVIDER_PACKAGE = "pulumi-nodejs";

/** One host shared by the engine runs of a workspace that overlap in time. */
interface HostLease {
  users: number;
  readonly host: Promise<ProviderHost | null>;
}

const leases = new WeakMap<PlannerWorkspace, HostLease>();

/**
 * Runs `body` (one engine operation) with the workspace's dynamic providers served from this process. Engine runs
 * that overlap share one host; the last to end closes it, so nothing listens, or keeps the process alive, between
 * operations. A host that cannot start leaves the engine to start its own provider process, as it would without one.
 */
export async function withProviderHost<T>(workspace: PlannerWorkspace, body: () => Promise<T>): Promise<T> {
  if (workspace.providerHost !== "in-process") return body();
  let lease = leases.get(workspace);
  if (!lease) {
    // What a provider process of the engine run would inherit: this process's environment and the workspace's.
    const env = { ...process.env, ...workspace.envVars };
    lease = { users: 0, host: startProviderHost(env).catch(() => null) };
    leases.set(workspace, lease);
  }
  lease.users += 1;
  const engine = await engineWorkspace(workspace);
  const attach = `${DYNAMIC_PROVIDER_PACKAGE}:${(await lease.host)?.port ?? ""}`;
  try {
    if ((await lease.host) !== null) engine.envVars[ATTACH_VARIABLE] = attach;
    return await body();
  } finally {
    lease.users -= 1;
    if (lease.users === 0) {
      leases.delete(workspace);
      // A later run may already have put its own host's port there.
      if (engine.envVars[ATTACH_VARIABLE] === attach) delete engine.envVars[ATTACH_VARIABLE];
      await (await lease.host)?.close();
    }
  }
}
