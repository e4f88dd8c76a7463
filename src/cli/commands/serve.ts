import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PlannerWorkspace } from "../../automation/index";
import { failure, isFailure, type FailureResult } from "../../outcome";
import type { ServiceConfig } from "../../service/config";
import type { ServiceDatabase } from "../../service/database";
import type { DeploymentNotifier } from "../../service/deployments";
import type { JobQueue } from "../../service/queue";
import type { CliCommand, CliContext, CommandArgs, CommandOutput } from "../command";
import { automation } from "../load";
import { WORKSPACE_FLAGS, failureOutput, workspaceOptions } from "../shared";

/** Flags `serve` and `worker` share. */
const SERVICE_FLAGS = {
  workspace: WORKSPACE_FLAGS.workspace,
  backend: {
    type: "string",
    description: "Pulumi state backend URL (default: the service's PostgreSQL, table deployment_planner_pulumi_state, shared by every process).",
  },
  "source-root": { type: "string", description: "Directories a request's source may name, comma-separated (relative sources resolve against the first)." },
  "database-url": { type: "string", description: "The service's PostgreSQL (default DATABASE_URL; else the workspace's embedded one)." },
  config: { type: "string", description: "Service configuration: webhook secrets and rules, event subscribers (default DEPLOYMENT_PLANNER_SERVICE_CONFIG; none)." },
  concurrency: { type: "string", description: "Deployments run at once, on different stacks (default 2)." },
} as const;

/** The parts of a running service process, and how to stop them in order. */
interface ServiceProcess {
  readonly database: ServiceDatabase;
  readonly queue: JobQueue;
  readonly workspace: PlannerWorkspace;
  readonly config: ServiceConfig;
  readonly notifier: DeploymentNotifier;
  readonly sourceRoots: readonly string[];
  stop(): Promise<void>;
}

/** A whole-number flag within bounds, its default when absent, or a validation failure. */
function boundedFlag(args: CommandArgs, name: string, fallback: number, min: number, max: number, meaning: string): number | FailureResult {
  const value = Number(typeof args.flags[name] === "string" ? args.flags[name] : String(fallback));
  if (!Number.isInteger(value) || value < min || value > max) return failure("validation", `--${name}: a whole number from ${min} to ${max}`, `Pass ${meaning}.`);
  return value;
}

/**
 * Opens what every service process needs: its database (DATABASE_URL or the embedded one), the configuration file,
 * the job queue, the workspace with Pulumi's state in the service database, and the notifier with its delivery
 * worker; `worker` also runs deployments. Whatever was opened is closed again when a later part fails.
 */
async function startServiceProcess(args: CommandArgs, context: CliContext, runDeployments: { concurrency: number } | null): Promise<ServiceProcess | FailureResult> {
  const { backendStateRecord, recordServiceState, openWorkspace, workspaceDataDir } = await automation();
  const { EMPTY_SERVICE_CONFIG, loadServiceConfig } = await import("../../service/config");
  const { credentialRedactor, openServiceDatabase, pulumiStateUrl, serviceDatabaseFailure } = await import("../../service/database");
  const configFile = typeof args.flags.config === "string" ? args.flags.config : context.env.DEPLOYMENT_PLANNER_SERVICE_CONFIG;
  const config = configFile ? await loadServiceConfig(path.resolve(context.cwd, configFile)) : EMPTY_SERVICE_CONFIG;
  if (isFailure(config)) return config;
  const sourceRoots = typeof args.flags["source-root"] === "string" ? args.flags["source-root"].split(",").map((r) => r.trim()).filter(Boolean) : [];
  const options = workspaceOptions(args, context);
  const workspaceDir = options.workspaceDir ?? context.cwd;
  let database: ServiceDatabase;
  try {
    database = await openServiceDatabase({
      databaseUrl: typeof args.flags["database-url"] === "string" ? args.flags["database-url"] : context.env.DATABASE_URL,
      dataDir: workspaceDataDir(workspaceDir),
      onProgress: (line) => context.stderr.write(`${line}\n`),
    });
  } catch (error) {
    return serviceDatabaseFailure(error);
  }
  const redact = credentialRedactor(database);
  const stops: (() => Promise<void>)[] = [() => database.close()];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    // The queue and the notifier load only for these commands.
    const { openJobQueue } = await import("../../service/queue");
    const { createNotifier } = await import("../../service/notifications");
    const queue = await openJobQueue(database);
    stops.push(() => queue.stop({ graceful: true, wait: true, timeout: 30_000 }));
    const workspace = await openWorkspace({
      ...options,
      backendUrl: typeof args.flags.backend === "string" ? args.flags.backend : pulumiStateUrl(database),
      onProgress: (line) => context.stderr.write(`${redact(line)}\n`),
    });
    // Commands run in this workspace use the same state from now on.
    const unseen = await recordServiceState(workspace, typeof args.flags.backend === "string" ? backendStateRecord(args.flags.backend) : database.state);
    if (unseen.length > 0) {
      context.stderr.write(
        `warning: the workspace's own file backend holds stacks the service does not manage (${unseen.slice(0, 5).join(", ")}${unseen.length > 5 ? ", ..." : ""}); commands in this workspace now use the service's state, and reach those with --backend ${pathToFileURL(path.join(workspace.dir, ".pulumi-state")).href}\n`,
      );
    }
    // Every machine's operations land in one audit trail in the service's database (and in its own log).
    const { mirrorAuditToService } = await import("../../service/audit");
    const stopMirror = mirrorAuditToService(database.pool, workspace.dataDir);
    stops.push(async () => stopMirror());
    const pkg = require("../../../package.json") as { version: string };
    const notifier = await createNotifier({ database, queue, config, version: pkg.version, env: context.env, machineDirs: { sourceRoots, workspace: workspace.dir } });
    if (runDeployments) {
      const { startWorker } = await import("../../service/worker");
      const worker = await startWorker({
        database,
        queue,
        workspace,
        baseDir: sourceRoots[0] ?? workspaceDir,
        concurrency: runDeployments.concurrency,
        notifier,
        config,
        redact,
        onActivity: (line) => context.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
      stops.push(() => worker.stop());
    }
    // Stopped first: events still queued are delivered by the next process that runs.
    const delivery = await notifier.startDelivery();
    stops.push(() => delivery.stop());
    return { database, queue, workspace, config, notifier, sourceRoots, stop };
  } catch (error) {
    await stop();
    return failure("env_setup", `the service could not start: ${redact((error as Error).message.split("\n")[0] ?? "")}`, "Check the database and the configuration, then start it again.");
  }
}

/**
 * The service's packages `command` loads that are not installed (they are optional peers of the library), as one
 * failure with the install command, before anything starts; null when all are there.
 */
async function missingServicePackages(command: "serve" | "worker", args: CommandArgs, context: CliContext): Promise<FailureResult | null> {
  const databaseUrl = typeof args.flags["database-url"] === "string" ? args.flags["database-url"] : context.env.DATABASE_URL;
  const { checkServicePackages, servicePackagesFor } = await automation();
  return checkServicePackages(servicePackagesFor(command === "serve" ? "api" : "worker", databaseUrl), `deployment-planner ${command}`);
}

/** Resolves when the command is interrupted (SIGINT, SIGTERM). */
function interrupted(context: CliContext): Promise<void> {
  return new Promise<void>((resolve) => {
    if (context.signal.aborted) return resolve();
    context.signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** `serve`: the deployment service's HTTP API (and, unless `--api-only`, a deployment worker), until interrupted. */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the deployment service: HTTP API (bearer tokens; /openapi.json) and a deployment worker, on PostgreSQL (DATABASE_URL, else embedded).",
  usage:
    "serve [--host <addr>] [--port <n>] [--source-root <dir[,dir...]>] [--config <file>] [--api-only | --with-worker] [--concurrency <n>] [--rate-limit <n>] [--trust-proxy <true|addr[,addr...]>] [--log-level <error|warn|info>] [--no-dashboard] [--database-url <url>] [--backend <url>] [--workspace <dir>]",
  flags: {
    ...SERVICE_FLAGS,
    host: { type: "string", description: "Address to listen on (default 127.0.0.1)." },
    port: { type: "string", description: "Port to listen on (default 8080; 0 picks a free one)." },
    "api-only": { type: "boolean", description: "Serve the API only; 'deployment-planner worker' processes run the deployments." },
    "with-worker": { type: "boolean", description: "Run a deployment worker in this process too (the default)." },
    "rate-limit": { type: "string", description: "Requests each token may make per minute (default 300)." },
    "trust-proxy": { type: "string", description: "Take the client address from X-Forwarded-For: 'true', or the proxies' addresses (default: the socket's address)." },
    "log-level": { type: "string", description: "The API's JSON log on stderr: error (5xx only), warn (default; also answers scrubbed of machine paths) or info (every request)." },
    "no-dashboard": { type: "boolean", description: "Serve the API only, without the web dashboard at / (its pages and files then answer 404)." },
  },
  async run(args, context): Promise<CommandOutput> {
    const port = boundedFlag(args, "port", 8080, 0, 65535, "a port from 0 to 65535");
    const rateLimit = boundedFlag(args, "rate-limit", 300, 1, 1_000_000_000, "how many requests a token may make each minute");
    const concurrency = boundedFlag(args, "concurrency", 2, 1, 32, "how many deployments may run at once");
    for (const value of [port, rateLimit, concurrency]) if (isFailure(value)) return failureOutput(value);
    const logLevel = typeof args.flags["log-level"] === "string" ? args.flags["log-level"] : "warn";
    if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number])) return failureOutput(failure("validation", `--log-level: one of ${LOG_LEVELS.join(", ")}`, "Pass error, warn or info."));
    if (args.flags["api-only"] === true && args.flags["with-worker"] === true) {
      return failureOutput(failure("validation", "--api-only and --with-worker: choose one", "Drop one of the two flags."));
    }
    const missing = await missingServicePackages("serve", args, context);
    if (missing) return failureOutput(missing);
    const host = typeof args.flags.host === "string" ? args.flags.host : "127.0.0.1";
    const service = await startServiceProcess(args, context, args.flags["api-only"] === true ? null : { concurrency: concurrency as number });
    if (isFailure(service)) return failureOutput(service);
    try {
      // The HTTP framework loads only for this command.
      const { buildApi } = await import("../../service/api");
      const { credentialRedactor } = await import("../../service/database");
      const pkg = require("../../../package.json") as { version: string };
      const app = await buildApi({
        database: service.database,
        queue: service.queue,
        workspace: service.workspace,
        sourceRoots: service.sourceRoots,
        config: service.config,
        notifier: service.notifier,
        version: pkg.version,
        rateLimit: { max: rateLimit as number, windowMs: 60_000 },
        trustProxy: trustProxyFlag(args.flags["trust-proxy"]),
        dashboard: args.flags["no-dashboard"] !== true,
        // JSON lines on stderr beside the one-line job activity, credentials masked.
        log: { destination: context.stderr, level: logLevel as (typeof LOG_LEVELS)[number], redact: credentialRedactor(service.database) },
      });
      try {
        let address: string;
        try {
          address = await app.listen({ host, port: port as number });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          return failureOutput(failure("env_setup", `the service cannot listen on ${host}:${port}: ${code}`, "Pass another --port (0 picks a free one), or stop the process that holds it."));
        }
        context.stderr.write(`deployment service listening on ${address} (database: ${service.database.location})\n`);
        await interrupted(context);
        context.stderr.write("stopping the deployment service\n");
        return { exitCode: 0, json: { status: "stopped", address }, text: "stopped" };
      } finally {
        await app.close().catch(() => undefined);
      }
    } finally {
      await service.stop();
    }
  },
};

/** `worker`: runs queued deployments from the service's PostgreSQL until interrupted (any number, on any machine). */
export const workerCommand: CliCommand = {
  name: "worker",
  summary: "Run queued deployments from the service's PostgreSQL (one stack's in arrival order, stacks in parallel).",
  usage: "worker [--concurrency <n>] [--source-root <dir[,dir...]>] [--config <file>] [--database-url <url>] [--backend <url>] [--workspace <dir>]",
  flags: SERVICE_FLAGS,
  async run(args, context) {
    const concurrency = boundedFlag(args, "concurrency", 2, 1, 32, "how many deployments may run at once");
    if (isFailure(concurrency)) return failureOutput(concurrency);
    const missing = await missingServicePackages("worker", args, context);
    if (missing) return failureOutput(missing);
    const service = await startServiceProcess(args, context, { concurrency });
    if (isFailure(service)) return failureOutput(service);
    context.stderr.write(`deployment worker running ${concurrency} at a time (database: ${service.database.location})\n`);
    try {
      await interrupted(context);
      return { exitCode: 0, json: { status: "stopped" }, text: "stopped" };
    } finally {
      await service.stop();
    }
  },
};

/** The API log's levels `serve --log-level` takes. */
const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

/** `--trust-proxy`: `true` trusts every hop, a list trusts those proxies' addresses; absent, none. */
function trustProxyFlag(value: unknown): boolean | string[] {
  if (typeof value !== "string" || value.trim() === "" || value.trim() === "false") return false;
  if (value.trim() === "true") return true;
  return value.split(",").map((entry) => entry.trim()).filter(Boolean);
}
