import { spawn } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureOpenBao } from "../../src/toolchain/openbao";
import { commandKey, documentationFiles, documentedShellBlocks, missingOutputLines, type DocBlock } from "../support/doc-blocks";
import { TEST_PASSPHRASE } from "../support/engine";
import { portRefuses, processesUnder } from "../support/processes";
import { startVaultDevServer, type VaultDevServer } from "../support/vault";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/**
 * The documented shell commands this suite does not run, each with the reason. A key is `<file>: <first command>` for
 * a whole block, or `<file>: <command>` for one command of a block whose other commands run, each command cut before
 * its first flag (`commandKey`). A block that is neither run nor listed cannot exist: every block not listed here
 * runs, and an entry that names no block fails the suite.
 */
const NOT_RUN: Readonly<Record<string, string>> = {
  "README.md: npm install && npm test": "the test command itself: this suite is part of what it runs",
  "README.md: npx deployment-planner tokens create":
    "the service walkthrough starts `serve`, which runs until stopped; test/service/walkthrough.test.ts runs this block as written, curl requests and clean-up included",
  "README.md: export DATABASE_URL=postgres://planner:…@db.internal:5432/planner":
    "needs the operator's PostgreSQL at db.internal and their /srv/apps and service.yaml; serve --api-only and worker on one PostgreSQL are run by test/service/cluster.test.ts",
  "README.md: npm install":
    "installs from the npm registry into a consumer's project; test/package/consumer.test.ts installs the packed package the same way",
  "README.md: export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=…":
    "needs a Vault holding platform-a's webhook secret but not its Stripe key; test/e2e/readme-example-error.test.ts runs it against a real OpenBao and compares the quoted JSON exactly",
  "README.md: npx deployment-planner serve":
    "serves the dashboard until stopped and needs a browser to use it; test/dashboard/ drives a real Chromium against serve with these flags",
  "docs/dashboard.md: deployment-planner tokens create":
    "serve runs until stopped and the dashboard needs a browser; test/dashboard/ creates tokens the same way and drives a real Chromium against serve",
  "docs/service.md: deployment-planner tokens create":
    "serve runs until stopped and the rest needs the operator's PostgreSQL at db.internal, /srv/apps and service.yaml; the README's walkthrough (test/service/walkthrough.test.ts) runs the one-machine commands",
  "docs/service.md: ts=$(date +%s); id=$(uuidgen); body='{\"repository\":\"acme/shop\",\"branch\":\"main\",\"commit\":\"'\"$GIT_SHA\"'\"}'":
    "a CI system's call to a running service with a generic hook named ci and its secret; test/service/hooks.test.ts signs deliveries the same way",
};

/** What a checkout has already done when this suite runs: the global setup installed and built the package. */
const CHECKOUT_READY = "npm install && ";

/** Longest a documented command may take (a first deploy on a busy machine takes under a minute). */
const COMMAND_TIMEOUT_MS = 180_000;
/** Longest a page's set-up or clean-up may take (destroying what a failed page left deploys nothing new). */
const HOOK_TIMEOUT_MS = 300_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A documentation page's shared workspace: a fresh directory holding a copy of the examples, and the environment. */
interface DocWorkspace {
  readonly root: string;
  readonly dir: string;
  env: NodeJS.ProcessEnv;
}

/** What a page needs besides a workspace (a Vault for the secrets page), and what its commands must have done. */
interface PageSetup {
  start?(workspace: DocWorkspace): Promise<void>;
  /** Checks after the page's commands ran, with each command's run. */
  check?(workspace: DocWorkspace, runs: ReadonlyMap<string, Run>): Promise<void>;
  stop?(): Promise<void>;
}

let vault: VaultDevServer | undefined;

const PAGES: Readonly<Record<string, PageSetup>> = {
  "README.md": {
    // The prose around the first block promises a URL to open and names the command that removes the site again.
    async check(workspace, runs) {
      const deploy = [...runs].find(([command]) => command.includes("deploy examples/requests/local-static-site.json"))?.[1];
      const url = /^url: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(deploy?.stdout ?? "")?.[1];
      expect(url, deploy?.stdout).toBeDefined();
      expect((await fetch(url!)).status).toBe(200);
      const readme = await readFile(path.join(REPO, "README.md"), "utf8");
      const removal = "npx deployment-planner destroy example-site development";
      expect(readme).toContain(`\`${removal}\` removes it again`);
      const destroyed = await runCommand(removal, workspace);
      expect(destroyed.code, destroyed.stdout + destroyed.stderr).toBe(0);
      expect(await portRefuses(Number(new URL(url!).port))).toBe(true);
    },
  },
  "docs/secrets.md": {
    async start(workspace) {
      vault = await startVaultDevServer();
      workspace.env = { ...workspace.env, ...vault.clientEnv() };
      await shim(workspace, "bao", (await ensureOpenBao({})).path);
    },
    async check() {
      const read = await vault!.api("GET", "/v1/secret/data/pf-789");
      expect(read.status).toBe(200);
      expect(read.body.data.data).toEqual({ STRIPE_SECRET_KEY: "sk_live_...", MONGODB_URI: "mongodb+srv://..." });
    },
    async stop() {
      await vault?.stop();
      vault = undefined;
    },
  },
};

/** Puts an executable named `name` that runs `target` first on the workspace's PATH. */
async function shim(workspace: DocWorkspace, name: string, target: string, leading: readonly string[] = []): Promise<void> {
  const dir = path.join(workspace.root, "bin");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\nexec ${[target, ...leading].map((part) => `'${part}'`).join(" ")} "$@"\n`);
  await chmod(file, 0o755);
}

/** A documented command as this checkout runs it: `npx deployment-planner` is the repository's own bin. */
function asRun(command: string): string {
  const ready = command.startsWith(CHECKOUT_READY) ? command.slice(CHECKOUT_READY.length) : command;
  return ready.replace(/(^|[|&;]\s*)npx deployment-planner\b/g, "$1deployment-planner");
}

/**
 * Runs one documented command with bash in the page's workspace, within `COMMAND_TIMEOUT_MS` (its process group is
 * killed after that). An `export` line changes the environment of the commands after it, as in a terminal.
 */
function runCommand(command: string, workspace: DocWorkspace): Promise<Run> {
  const exported = command.startsWith("export ") ? [...command.matchAll(/(?:^export |\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!) : [];
  const script = exported.length > 0 ? `${command}\nprintf '\\0'\nenv -0` : asRun(command);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: workspace.dir, env: workspace.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
      reject(new Error(`'${command}' did not finish within ${COMMAND_TIMEOUT_MS / 1000} s:\n${stdout}\n${stderr}`));
    }, COMMAND_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (exported.length > 0 && code === 0) {
        const variables = new Map(stdout.slice(stdout.indexOf("\0") + 1).split("\0").map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)] as const));
        for (const name of exported) workspace.env[name] = variables.get(name);
        stdout = stdout.slice(0, stdout.indexOf("\0"));
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Destroys every stack a page's workspace still has a stack file for (a page that failed half-way). */
async function destroyLeftovers(workspace: DocWorkspace): Promise<void> {
  const files = await readdir(path.join(workspace.dir, "stacks")).catch(() => [] as string[]);
  for (const file of files) {
    const match = /^Pulumi\.([^.]+)\.([^.]+)\.yaml$/.exec(file);
    if (match) await runCommand(`deployment-planner destroy ${match[1]} ${match[2]} --force`, workspace).catch(() => undefined);
  }
}

/** Waits up to `ms` for no process to run under `dir` (a destroyed release's group takes a moment to exit). */
async function processesLeft(dir: string, ms = 5_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await processesUnder(dir);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const blocks = documentedShellBlocks(REPO);

/** Whether a command is declared in NOT_RUN, by its block or by itself. */
function declared(block: DocBlock, command: string): boolean {
  return block.key in NOT_RUN || commandKey(block.file, command) in NOT_RUN;
}

describe("the documented-output matcher", () => {
  it("takes each placeholder only for its own kind of value, and the lines in their order", () => {
    const quoted = ["deployed a to local (update 1, v1) in <duration>", "url: http://127.0.0.1:<port>"];
    expect(missingOutputLines("deployed a to local (update 1, v1) in 17.6s\nurl: http://127.0.0.1:36765\n", quoted)).toEqual([]);
    expect(missingOutputLines("deployed a to local (update 1, v1) in soon\nurl: http://127.0.0.1:port\n", quoted)).toEqual(quoted);
    expect(missingOutputLines("url: http://127.0.0.1:36765\ndeployed a to local (update 1, v1) in 2s\n", quoted)).toEqual([quoted[1]]);
    // Column alignment is not content; words are.
    expect(missingOutputLines("     2  redeploy      succeeded", ["     2  redeploy succeeded"])).toEqual([]);
    expect(missingOutputLines("     2  redeploy      failed", ["     2  redeploy succeeded"])).toHaveLength(1);
  });
});

describe("every command in the README and docs/ runs as written", () => {
  it("each documented shell block is run here or declared with a reason, and each declaration names a command that exists", () => {
    const known = new Set(blocks.flatMap((block) => [block.key, ...block.commands.map((c) => commandKey(block.file, c.text))]));
    const undeclared = blocks.filter((b) => !(b.key in NOT_RUN)).map((b) => b.key);
    expect(
      Object.keys(NOT_RUN).filter((key) => !known.has(key)),
      `declarations that name no documented command (rename one to the key of its block; the blocks that run are ${JSON.stringify(undeclared)})`,
    ).toEqual([]);
    // Keys tell blocks apart: two blocks starting with the same command would share a declaration.
    expect(new Set(blocks.map((b) => b.key)).size).toBe(blocks.length);
    for (const [key, reason] of Object.entries(NOT_RUN)) expect(reason.length, key).toBeGreaterThan(30);
    // The extraction finds the blocks it must: the README's first command, the walkthrough, the local session.
    expect(blocks.map((b) => b.key)).toContain("README.md: npm install && npx deployment-planner deploy examples/requests/local-static-site.json");
    expect(blocks.some((b) => b.file === "docs/local-target.md" && b.language === "console")).toBe(true);
    // Every page with a block gets a run below (its blocks that are not declared), or has only declared ones.
    const pages = new Set(blocks.map((b) => b.file));
    for (const page of pages) expect(documentationFiles(REPO)).toContain(page);
  });

  const pages = [...new Set(blocks.map((b) => b.file))].filter((page) => blocks.some((b) => b.file === page && b.commands.some((c) => !declared(b, c.text))));

  describe.each(pages)("%s", (page) => {
    const workspace: DocWorkspace = { root: "", dir: "", env: {} };
    const setup = PAGES[page] ?? {};

    beforeAll(async () => {
      const root = await mkdtemp(path.join(os.tmpdir(), "dp-docs-"));
      Object.assign(workspace, { root, dir: path.join(root, "checkout") });
      await mkdir(workspace.dir);
      // A copy of the examples, so that nothing a command writes lands in the repository.
      await cp(path.join(REPO, "examples"), path.join(workspace.dir, "examples"), { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
      for (const name of Object.keys(env)) {
        if (/^(PULUMI_BACKEND_URL|DATABASE_URL|VAULT_|BAO_|DEPLOYMENT_PLANNER_|DEMO_API_TOKEN$)/.test(name)) delete env[name];
      }
      env.PATH = `${path.join(root, "bin")}:${process.env.PATH}`;
      workspace.env = env;
      await shim(workspace, "deployment-planner", process.execPath, [BIN]);
      await setup.start?.(workspace);
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      if (!workspace.root) return;
      await destroyLeftovers(workspace);
      await setup.stop?.();
      await rm(workspace.root, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    it("runs each command that is not declared, shows the output the page quotes, and leaves no process behind", async () => {
      const runs = new Map<string, Run>();
      for (const block of blocks.filter((b) => b.file === page)) {
        for (const command of block.commands) {
          if (declared(block, command.text)) continue;
          const where = `${page}:${command.line}: ${command.text}`;
          const run = await runCommand(command.text, workspace);
          runs.set(command.text, run);
          expect(run.code, `${where}\n${run.stdout}\n${run.stderr}`).toBe(0);
          expect(missingOutputLines(run.stdout, command.output), `${where}: the quoted lines the output lacks; it printed:\n${run.stdout}`).toEqual([]);
        }
      }
      await setup.check?.(workspace, runs);
      expect(await processesLeft(workspace.dir)).toEqual([]);
    });
  });
});
