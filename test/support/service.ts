import { rm } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { destroyStack, openWorkspace, type PlannerWorkspace } from "../../src/automation/index";
import { ensurePulumi } from "../../src/toolchain/pulumi";
import { buildApi, type ApiOptions } from "../../src/service/api";
import { mirrorAuditToService } from "../../src/service/audit";
import type { ServiceDatabase } from "../../src/service/database";
import { openJobQueue, type JobQueue } from "../../src/service/queue";
import { startWorker } from "../../src/service/worker";
import { TEST_PASSPHRASE } from "./engine";
import { closeTestDatabase, openTestDatabase } from "./database";

/** The deployment service in this process: a real embedded PostgreSQL, its queue, a worker and the API on a socket. */
export interface ServiceHarness {
  readonly workspace: PlannerWorkspace;
  readonly database: ServiceDatabase;
  readonly queue: JobQueue;
  readonly app: FastifyInstance;
  /** The API's address, e.g. `http://127.0.0.1:40123`. */
  readonly base: string;
  /** Starts the worker of a harness started with `{ worker: false }` (nothing when it runs already). */
  startWorker(): Promise<void>;
  /** Stops the API and the worker, destroys `stacks`, stops the database and removes its files and `root`. */
  stop(stacks: readonly string[]): Promise<void>;
}

/**
 * Starts the service under `root` (workspace with a file state backend, embedded database), deploying sources from
 * `sourceRoot` for real on the local target. `api` adds options of the HTTP API (a configuration, a body limit);
 * `{ worker: false }` holds the worker until `startWorker`, so deployments stay queued meanwhile.
 */
export async function startServiceHarness(root: string, sourceRoot: string, api: Partial<ApiOptions> = {}, options: { readonly worker?: boolean } = {}): Promise<ServiceHarness> {
  const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
  const workspaceDir = path.join(root, "workspace");
  const workspace = await openWorkspace({
    workspaceDir,
    env,
    pulumiHome: env.PULUMI_HOME,
    toolchain: await ensurePulumi({ env, skipInstaller: true }),
    backendUrl: `file://${path.join(workspaceDir, ".pulumi-state")}`,
  });
  const database = await openTestDatabase(workspace.dataDir);
  const queue = await openJobQueue(database);
  const stopMirror = mirrorAuditToService(database.pool, workspace.dataDir);
  let worker: { stop(): Promise<void> } | null = null;
  const runWorker = async () => {
    worker ??= await startWorker({ database, queue, workspace, baseDir: sourceRoot, concurrency: 2 });
  };
  if (options.worker !== false) await runWorker();
  const app = await buildApi({ database, queue, workspace, sourceRoots: [sourceRoot], version: "test", ...api });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    workspace,
    database,
    queue,
    app,
    base,
    startWorker: runWorker,
    async stop(stacks) {
      await app.close();
      await worker?.stop();
      for (const stack of stacks) await destroyStack(stack, { workspace, removeStack: true, force: true }).catch(() => undefined);
      stopMirror();
      await closeTestDatabase(database);
      await rm(root, { recursive: true, force: true });
    },
  };
}
