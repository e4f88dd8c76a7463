import { assembleWorkspace, type PlannerWorkspace, type WorkspaceOptions } from "../workspace/index";
import { leaseTtlFromEnv, openStateBackend } from "./open-backend";
import { serviceStateBackend } from "./service-state";

/**
 * Prepares a workspace: the project file, the stacks directory, the default file backend, the secrets provider and
 * an offline-safe environment for the engine (no update check, no automatic plugin download). Its state backend is
 * chosen here, once: the URL given, else `PULUMI_BACKEND_URL`, else the one a deployment service recorded in the
 * workspace, else the workspace's own file backend.
 */
export function openWorkspace(options: WorkspaceOptions = {}): Promise<PlannerWorkspace> {
  return assembleWorkspace(options, {
    recordedBackendUrl: serviceStateBackend,
    open: (backendUrl, dataDir, env) => openStateBackend(backendUrl, { dataDir, leaseTtlMs: leaseTtlFromEnv(env) }),
  });
}
