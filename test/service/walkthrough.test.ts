import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TEST_PASSPHRASE } from "../support/engine";
import { liveProcesses } from "../support/processes";
import { freePort } from "../support/vault";
import { serveDatabaseLeftovers } from "../support/database";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** The README's service walkthrough: its shell block, one command per line (continuations joined, comments dropped). */
async function walkthrough(): Promise<string[]> {
  const readme = await readFile(path.join(REPO, "README.md"), "utf8");
  const at = readme.indexOf("tokens create --project '*' --scope deploy");
  const block = readme.slice(readme.lastIndexOf("```sh", at), readme.indexOf("```", at)).split("\n").slice(1);
  const commands: string[] = [];
  let pending = "";
  for (const line of block) {
    pending += line.replace(/\s+#\s.*$/, "").replace(/\s*\\$/, " ");
    if (!/\\\s*(#.*)?$/.test(line.replace(/\s+#\s.*$/, ""))) {
      if (pending.trim()) commands.push(pending.trim().replace(/\s+/g, " "));
      pending = "";
    }
  }
  return commands;
}

/** Polls a deployment record (bounded) until it has finished. */
async function finished(base: string, token: string, id: string): Promise<{ status: string; result: Record<string, unknown> }> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const record = (await (await fetch(`${base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; result: Record<string, unknown> };
    if (record.status === "succeeded" || record.status === "failed") return record;
    if (Date.now() > deadline) throw new Error(`deployment ${id} still ${record.status} after 180 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("the README's service walkthrough, run as written", () => {
  let root = "";
  let serve: ChildProcess | null = null;

  afterAll(async () => {
    if (serve && serve.exitCode === null) serve.kill("SIGKILL");
    if (!root) return;
    // A root-run embedded server keeps its data outside the workspace, named by it.
    const dataDir = path.resolve(root, "checkout", ".deployment-planner");
    for (const leftover of [root, ...serveDatabaseLeftovers(dataDir)]) await rm(leftover, { recursive: true, force: true });
  });

  it("deploys the site with the deploy token, cleans it up with the admin token, and serve prints a line per job", async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-walkthrough-"));
    // The commands run from a checkout: here a directory with the examples linked, which is also the workspace. `npx
    // deployment-planner` runs this package's CLI, as it does in a checkout.
    const checkout = path.join(root, "checkout");
    await mkdir(checkout);
    await symlink(path.join(REPO, "examples"), path.join(checkout, "examples"));
    const shims = path.join(root, "bin");
    await mkdir(shims);
    await writeFile(path.join(shims, "npx"), `#!/bin/sh\n[ "$1" = deployment-planner ] && shift\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    await chmod(path.join(shims, "npx"), 0o755);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
      DATABASE_URL: "",
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      PULUMI_HOME: path.join(root, "pulumi-home"),
    };
    delete env.PULUMI_BACKEND_URL;
    const sh = (command: string, extra: NodeJS.ProcessEnv = {}) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn("sh", ["-c", command.replaceAll("8080", String(port))], { cwd: checkout, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`'${command}' did not finish within 120 s: ${stderr}`))), 120_000);
        child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
      });

    const [deployToken, adminToken, serveLine, deployCurl, deleteCurl, ...rest] = await walkthrough();
    expect(rest).toEqual([]);
    expect(deployToken).toMatch(/tokens create .*--scope deploy/);
    expect(adminToken).toMatch(/tokens create .*--scope admin/);
    expect(serveLine).toMatch(/^npx deployment-planner serve /);
    expect(deleteCurl).toMatch(/^curl -X DELETE .*\$ADMIN_TOKEN/);

    const tokens: Record<string, string> = {};
    for (const [name, command] of [["DEPLOY_TOKEN", deployToken!], ["ADMIN_TOKEN", adminToken!]] as const) {
      const created = await sh(command);
      expect(created.code, created.stderr).toBe(0);
      tokens[name] = (JSON.parse(created.stdout) as { token: string }).token;
    }

    serve = spawn("sh", ["-c", `exec ${serveLine!.replaceAll("8080", String(port))}`], { cwd: checkout, env, stdio: ["ignore", "pipe", "pipe"] });
    let serverConsole = "";
    serve.stderr!.on("data", (chunk: Buffer) => (serverConsole += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => serve!.on("close", resolve));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverConsole}`)), 90_000);
      serve!.once("exit", (code) => (clearTimeout(timer), reject(new Error(`serve exited (${code}) before listening: ${serverConsole}`))));
      serve!.stderr!.on("data", () => {
        const address = /listening on (http:\/\/[0-9.:]+)/.exec(serverConsole)?.[1];
        if (address) (clearTimeout(timer), resolve(address));
      });
    });

    // The deploy, as the README sends it.
    const posted = await sh(deployCurl!, tokens);
    expect(posted.code, posted.stderr).toBe(0);
    const deployment = JSON.parse(posted.stdout) as { id: string };
    const deployed = await finished(base, tokens.DEPLOY_TOKEN!, deployment.id);
    expect(deployed.status, JSON.stringify(deployed.result)).toBe("succeeded");
    const url = deployed.result.url as string;
    expect((await fetch(url)).status).toBe(200);

    // A deploy token cannot destroy: the README's clean-up needs its admin token.
    const refused = await sh(deleteCurl!.replace("$ADMIN_TOKEN", "$DEPLOY_TOKEN").replace("curl ", "curl -s -o /dev/null -w '%{http_code}' "), tokens);
    expect(refused.stdout).toBe("403");
    const cleanup = await sh(deleteCurl!, tokens);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    const destroy = JSON.parse(cleanup.stdout) as { id: string };
    const destroyed = await finished(base, tokens.ADMIN_TOKEN!, destroy.id);
    expect(destroyed.status, JSON.stringify(destroyed.result)).toBe("succeeded");
    await expect(fetch(url, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();

    // One line as each job started and one as it ended, and nothing from the request's tokens.
    const lines = serverConsole.split("\n");
    for (const [id, operation] of [[deployment.id, "deploy"], [destroy.id, "destroy"]] as const) {
      expect(lines.filter((l) => l.includes(`deployment ${id}: ${operation} of site.development started (attempt 1 of `))).toHaveLength(1);
      expect(lines.filter((l) => new RegExp(`deployment ${id}: ${operation} of site\\.development succeeded in \\d+\\.\\ds$`).test(l))).toHaveLength(1);
    }
    for (const token of Object.values(tokens)) expect(serverConsole).not.toContain(token);

    // Ctrl-C stops it cleanly.
    serve.kill("SIGINT");
    expect(await exited).toBe(0);
    const left = (await liveProcesses()).filter((row) => row.args.includes(root));
    expect(left).toEqual([]);
  }, 420_000);
});
