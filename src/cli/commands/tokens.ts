import { failure } from "../../outcome";
import type { TokenScope } from "../../service/tokens";
import type { CliCommand, CommandOutput } from "../command";
import { automation, planner } from "../load";
import { WORKSPACE_FLAGS, errorOutput, failureOutput, workspaceOptions } from "../shared";

const USAGE = "tokens create --name <name> --project <id[,id...]|*> --scope <read|deploy|admin> | tokens list | tokens revoke <id>  [--json] [--database-url <url>] [--workspace <dir>]";

/** `tokens create|list|revoke`: the service's API tokens (stored as hashes; a new token is shown once). */
export const tokensCommand: CliCommand = {
  name: "tokens",
  summary: "Create (shown once), list or revoke the deployment service's API tokens, each scoped to projects and read/deploy/admin.",
  usage: USAGE,
  flags: {
    workspace: WORKSPACE_FLAGS.workspace,
    name: { type: "string", description: "The token's name (1-64 of a-z 0-9 . _ -, unique among the live tokens of its projects), e.g. ci-shop; records and audit entries name it." },
    project: { type: "string", description: "Projects the token may act on, comma-separated, or '*' for all." },
    scope: { type: "string", description: "read, deploy (includes read) or admin (includes deploy)." },
    "database-url": { type: "string", description: "The service's PostgreSQL (default DATABASE_URL; else the workspace's embedded one)." },
  },
  async run(args, context) {
    const { checkServicePackages, servicePackagesFor, workspaceDataDir } = await automation();
    const { identifierSchema } = await planner();
    const { createToken, listTokens, revokeToken, TOKEN_NAME, TOKEN_SCOPES, TokenNameError } = await import("../../service/tokens");
    const [sub, ...rest] = args.positionals;
    const invalid = (reason: string): CommandOutput => failureOutput(failure("validation", reason, `Usage: deployment-planner ${USAGE}`));
    if (sub !== "create" && sub !== "list" && sub !== "revoke") return invalid(`unknown tokens subcommand '${String(sub ?? "").slice(0, 40)}'`);
    let projects: string[] = [];
    let scope: TokenScope = "read";
    let name = "";
    if (sub === "create") {
      if (rest.length > 0) return invalid(`tokens create takes no arguments, got '${rest[0]!.slice(0, 40)}'`);
      const projectFlag = typeof args.flags.project === "string" ? args.flags.project : "";
      projects = projectFlag.split(",").map((p) => p.trim()).filter(Boolean);
      const bad = projects.find((p) => p !== "*" && !identifierSchema.safeParse(p).success);
      if (projects.length === 0 || bad !== undefined) return invalid(`--project: ${bad === undefined ? "required" : `not a project id: '${bad.slice(0, 80)}'`}`);
      if (!(TOKEN_SCOPES as readonly string[]).includes(String(args.flags.scope))) return invalid(`--scope: must be one of ${TOKEN_SCOPES.join(", ")}`);
      scope = args.flags.scope as TokenScope;
      name = typeof args.flags.name === "string" ? args.flags.name : "";
      if (!TOKEN_NAME.test(name)) return invalid(`--name: ${name === "" ? "required" : `'${name.slice(0, 80)}' is not 1 to 64 of a-z, 0-9, '.', '_' and '-'`}`);
    }
    if (sub === "list" && rest.length > 0) return invalid("tokens list takes no arguments");
    if (sub === "revoke" && (rest.length !== 1 || !/^[0-9a-f]{16}$/.test(rest[0]!))) return invalid("tokens revoke takes one token id (16 hex digits, from 'tokens list')");

    const databaseUrl = typeof args.flags["database-url"] === "string" ? args.flags["database-url"] : context.env.DATABASE_URL;
    const missing = checkServicePackages(servicePackagesFor("tokens", databaseUrl), "deployment-planner tokens");
    if (missing) return failureOutput(missing);
    const { openServiceDatabase, serviceDatabaseFailure } = await import("../../service/database");
    const dataDir = workspaceDataDir(workspaceOptions(args, context).workspaceDir ?? context.cwd);
    let database;
    try {
      database = await openServiceDatabase({
        databaseUrl,
        dataDir,
        onProgress: (line) => context.stderr.write(`${line}\n`),
      });
    } catch (error) {
      return failureOutput(serviceDatabaseFailure(error));
    }
    try {
      if (sub === "create") {
        const created = await createToken(database.pool, projects, scope, name).catch((error: unknown) => {
          if (error instanceof TokenNameError) return failure("validation", `--name: ${error.message}`, "Choose another name, or revoke the token that has it first.");
          throw error;
        });
        if ("status" in created) return failureOutput(created);
        return {
          exitCode: 0,
          json: { token: created.token },
          text: `${created.token}\n(token ${created.id} '${created.name}': ${scope} on ${projects.join(", ")}; shown once, stored only as a hash)`,
        };
      }
      if (sub === "list") {
        const tokens = await listTokens(database.pool);
        return {
          exitCode: 0,
          json: { tokens },
          text: tokens
            .map((t) => `${t.id}  ${t.name.padEnd(24)} ${t.scope.padEnd(6)} ${t.projects.join(",").padEnd(30)} created ${t.created_at}${t.revoked_at ? `  revoked ${t.revoked_at}` : ""}`)
            .join("\n"),
        };
      }
      const revoked = await revokeToken(database.pool, rest[0]!);
      if (!revoked) return failureOutput(failure("validation", `no live token ${rest[0]}`, "See 'deployment-planner tokens list'."));
      return { exitCode: 0, json: { revoked: rest[0] }, text: `revoked ${rest[0]}` };
    } catch (error) {
      return errorOutput(error);
    } finally {
      await database.close().catch(() => undefined);
    }
  },
};
