import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensurePulumi } from "../../src/toolchain/pulumi";
import { openWorkspace, type PlannerWorkspace } from "../../src/automation/index";

/** Fixed passphrase of test stacks; the tests' secrets provider. */
export const TEST_PASSPHRASE = "test-passphrase-not-a-secret";

/** A throwaway workspace with its own file backend and PULUMI_HOME. */
export interface TestWorkspace {
  readonly root: string;
  readonly workspace: PlannerWorkspace;
  /** Environment for CLI subprocesses that should use this workspace. */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** Creates a test workspace under the system temp dir. */
export async function createTestWorkspace(prefix = "dp-e2e-", extraEnv: NodeJS.ProcessEnv = {}): Promise<TestWorkspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const pulumiHome = path.join(root, "pulumi-home");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...extraEnv,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_HOME: pulumiHome,
    PULUMI_BACKEND_URL: `file://${path.join(root, "workspace", ".pulumi-state")}`,
  };
  const toolchain = await ensurePulumi({ env, skipInstaller: true });
  const workspace = await openWorkspace({ workspaceDir: path.join(root, "workspace"), env, pulumiHome, toolchain });
  return {
    root,
    workspace,
    env,
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A unique suffix for stack and project names within one run. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
