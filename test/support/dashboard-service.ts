import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { serveDatabaseLeftovers } from "./database";
import { TEST_PASSPHRASE } from "./engine";
import { runCliProcess, startServeProcess, type CliRun, type ServeProcess } from "./serve-process";

const REPO = path.resolve(__dirname, "..", "..");

/** Longest a deployment started from the dashboard may take to reach its result. */
export const DEPLOYMENT_TIMEOUT_MS = 150_000;

/** An API answer: its status and parsed JSON body (an empty object when it is not JSON). */
export interface ApiAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

/** A real `deployment-planner serve` (API, worker, embedded PostgreSQL, real engine, local target) for browser tests. */
export interface DashboardService {
  /** The service's address, e.g. `http://127.0.0.1:40123`. */
  readonly base: string;
  /** The source root: `serve --source-root`, holding the sources requests name. */
  readonly sources: string;
  readonly workspace: string;
  readonly env: NodeJS.ProcessEnv;
  readonly serve: ServeProcess;
  /** `tokens create --name <name> --project <project> --scope <scope>`: the new token's secret. */
  createToken(name: string, scope: "read" | "deploy" | "admin", project?: string): Promise<string>;
  /** Runs the CLI on the service's workspace. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CliRun>;
  /** Calls the API with a bearer token. */
  api(token: string, method: string, route: string, body?: unknown): Promise<ApiAnswer>;
  /** Polls a deployment (bounded) until it succeeded or failed, and returns its record. */
  finished(token: string, id: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Remembers a stack (`<project>.<environment>`) to destroy when the service stops. */
  track(stack: string): void;
  /** Destroys the tracked stacks, stops `serve` and removes every file it made. */
  stop(): Promise<void>;
}

/**
 * Starts `serve` on a fresh workspace under the temp directory, with `sources` (names under the source root, each
 * filled by `prepare`) ready before it listens.
 */
export async function startDashboardService(prefix: string, prepare: (sources: string) => Promise<void>, extraArgs: readonly string[] = []): Promise<DashboardService> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const sources = path.join(root, "sources");
  const workspace = path.join(root, "workspace");
  await mkdir(sources, { recursive: true });
  await prepare(sources);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: "",
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_HOME: path.join(root, "pulumi-home"),
  };
  delete env.PULUMI_BACKEND_URL;
  const removeFiles = async () => {
    // A root-run embedded server keeps its data outside the workspace, named by it.
    const dataDir = path.resolve(workspace, ".deployment-planner");
    for (const leftover of [root, ...serveDatabaseLeftovers(dataDir)]) await rm(leftover, { recursive: true, force: true });
  };
  let serve: ServeProcess;
  try {
    serve = await startServeProcess(["--with-worker", "--source-root", sources, "--workspace", workspace, ...extraArgs], env);
  } catch (error) {
    await removeFiles();
    throw error;
  }
  const base = serve.address;
  const stacks = new Set<string>();
  const cli = (args: readonly string[], timeoutMs = 120_000) => runCliProcess([...args, "--workspace", workspace], env, timeoutMs);
  const api = async (token: string, method: string, route: string, body?: unknown): Promise<ApiAnswer> => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A stack's answer checks its URL and reads the engine's outputs: slow on a busy machine.
      signal: AbortSignal.timeout(90_000),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A text answer stays text.
    }
    return { status: response.status, json, text };
  };
  return {
    base,
    sources,
    workspace,
    env,
    serve,
    async createToken(name, scope, project = "*") {
      const run = await cli(["tokens", "create", "--name", name, "--project", project, "--scope", scope, "--json"], 60_000);
      if (run.code !== 0) throw new Error(`tokens create ${name}: ${run.stdout}${run.stderr}`);
      return (JSON.parse(run.stdout) as { token: string }).token;
    },
    cli,
    api,
    async finished(token, id, timeoutMs = DEPLOYMENT_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      let record: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        record = (await api(token, "GET", `/v1/deployments/${id}`)).json;
        if (record.status === "succeeded" || record.status === "failed") return record;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(`deployment ${id} did not finish within ${timeoutMs / 1000} s: ${JSON.stringify(record)}`);
    },
    track: (stack) => void stacks.add(stack),
    async stop() {
      if (serve.child.exitCode === null) {
        await Promise.all(
          [...stacks].map((stack) => {
            const [project, environment] = stack.split(".");
            return cli(["destroy", project!, environment!, "--remove"], 120_000).catch(() => undefined);
          }),
        );
        await serve.stop();
      }
      await removeFiles();
    },
  };
}

/** The example static site (examples/apps/static-site) copied to `dir`, its heading replaced by `heading`. */
export async function exampleSite(dir: string, heading: string): Promise<void> {
  await cp(path.join(REPO, "examples", "apps", "static-site"), dir, { recursive: true });
  const index = path.join(dir, "index.html");
  const html = await readFile(index, "utf8");
  await writeFile(index, html.replace(/<h1>[^<]*<\/h1>/, `<h1>${heading}</h1>`));
}
