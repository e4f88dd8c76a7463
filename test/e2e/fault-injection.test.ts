import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { liveProcesses, orphanedProviders, portRefuses, processesUnder, releaseAccounting } from "../support/processes";

/*
 * Fault injection: the whole process group of a running `deploy` or `destroy` (the CLI, its Pulumi engine and
 * whatever else shares the group) is killed with SIGKILL at many moments, spread over every stage by the CLI's own
 * progress lines plus a small delay, and each time a plain `deploy` (or `destroy`) with no human step must recover:
 * success, the URL serving the old or the new version throughout, and nothing of the killed operation left running.
 */

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

/** Longest run of failed requests (first failure to next success) the poller may see during a deploy-kill round. */
const FAILURE_STREAK_BOUND_MS = 1500;
/** How long a replaced release's process may take to exit after the deploy that replaced it returned. */
const RELEASE_EXIT_GRACE_MS = 3000;
/** Command line of the example app's server, one per running release. */
const APP_COMMAND = /^node server\.js$/;
/** Files in each app's source, so packaging (hashing, and copying a new bundle) takes a moment. */
const SOURCE_FILES = 3000;
/** Header the poller sends; every other request (the supervisor's health probe, the CLI's verify step) is slowed. */
const POLLER_HEADER = "x-fault-poller";

type Stage = "planning" | "packaging" | "before create" | "release create" | "after create" | "verify" | "destroy";

/** When to kill: `delayMs` after the progress line containing `marker` shows (or after the start, for no marker). */
interface Moment {
  readonly stage: Stage;
  readonly marker: string | null;
  readonly delayMs: number;
  /** Deploy a source never packaged before, so the kill can land while a new bundle is being copied. */
  readonly freshSource?: boolean;
}

/** Kills of a deploy of the next version over a serving one (the same stack throughout). */
const REDEPLOY_MOMENTS: readonly Moment[] = [
  { stage: "planning", marker: "planning", delayMs: 0 },
  { stage: "planning", marker: "pre-deployment checks", delayMs: 0 },
  { stage: "packaging", marker: "packaging ", delayMs: 0 },
  { stage: "packaging", marker: "packaging ", delayMs: 100 },
  { stage: "packaging", marker: "packaging ", delayMs: 150, freshSource: true },
  { stage: "before create", marker: "deploying ", delayMs: 0 },
  { stage: "before create", marker: "deploying ", delayMs: 700 },
  { stage: "before create", marker: "deploying ", delayMs: 1500 },
  { stage: "release create", marker: "app-release create-replacement...", delayMs: 0 },
  { stage: "release create", marker: "app-release create-replacement...", delayMs: 100 },
  { stage: "release create", marker: "app-release create-replacement...", delayMs: 300 },
  { stage: "release create", marker: "app-release create-replacement...", delayMs: 700 },
  { stage: "after create", marker: "app-release create-replacement done", delayMs: 0 },
  { stage: "after create", marker: "app-release delete-replaced...", delayMs: 0 },
  { stage: "after create", marker: "done in ", delayMs: 0 },
  { stage: "verify", marker: "verifying ", delayMs: 0 },
  { stage: "verify", marker: "verifying ", delayMs: 80 },
  { stage: "verify", marker: "verifying ", delayMs: 180 },
];

/** Each round: a new stack's first deploy killed, a plain deploy, then its destroy killed, a plain destroy. */
const LIFECYCLE_ROUNDS: readonly { readonly deploy: Moment; readonly destroy: Moment }[] = [
  { deploy: { stage: "planning", marker: "planning", delayMs: 30 }, destroy: { stage: "destroy", marker: null, delayMs: 800 } },
  {
    deploy: { stage: "packaging", marker: "packaging ", delayMs: 200, freshSource: true },
    destroy: { stage: "destroy", marker: "app-release delete...", delayMs: 0 },
  },
  { deploy: { stage: "before create", marker: "deploying ", delayMs: 0 }, destroy: { stage: "destroy", marker: "app-release delete...", delayMs: 30 } },
  {
    deploy: { stage: "before create", marker: "app-endpoint create...", delayMs: 0 },
    destroy: { stage: "destroy", marker: "app-endpoint delete...", delayMs: 0 },
  },
  { deploy: { stage: "release create", marker: "app-release create...", delayMs: 300 }, destroy: { stage: "destroy", marker: "done in ", delayMs: 0 } },
  { deploy: { stage: "after create", marker: "app-release create done", delayMs: 0 }, destroy: { stage: "destroy", marker: null, delayMs: 2000 } },
  { deploy: { stage: "before create", marker: "deploying ", delayMs: 600 }, destroy: { stage: "destroy", marker: null, delayMs: 1400 } },
  {
    deploy: { stage: "verify", marker: "verifying ", delayMs: 80 },
    destroy: { stage: "destroy", marker: "pulumi-nodejs default delete...", delayMs: 0 },
  },
];

/** What the whole suite saw; printed and checked at the end. */
const tally = {
  started: Date.now(),
  kills: 0,
  /** Kills that landed after the operation had already finished (not counted as kills). */
  missed: 0,
  recovered: 0,
  /** Processes of killed operations still alive after their recovery. */
  orphans: 0,
  /** Orphaned dynamic-provider processes seen right after the kills, which the recoveries had to clean up. */
  orphanedByKills: 0,
  longestStreakMs: 0,
  longestStreakRequests: 0,
  polled: 0,
};

function describeMoment(moment: Moment): string {
  const at = moment.marker === null ? "the start" : `'${moment.marker.trim()}'`;
  return `${moment.stage} (${moment.delayMs} ms after ${at}${moment.freshSource ? ", new bundle" : ""})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The app: answers its version (from APP_VERSION), starts listening after a moment, and answers slowly except to the poller. */
const SERVER_JS = `const http = require("node:http");
const version = process.env.APP_VERSION || "unset";
setTimeout(() => {
  http
    .createServer((req, res) => {
      const answer = () => res.end(version);
      if (req.headers[${JSON.stringify(POLLER_HEADER)}]) answer();
      else setTimeout(answer, 250);
    })
    .listen(Number(process.env.PORT), "127.0.0.1");
}, 500);
`;

/** Writes an app source of `SOURCE_FILES` small files; `salt` makes its bundle digest its own. */
async function writeSource(dir: string, salt: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "server.js"), SERVER_JS);
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "fault-app", private: true, scripts: { start: "node server.js" } }));
  const dirs = 30;
  for (let d = 0; d < dirs; d += 1) await mkdir(path.join(dir, "assets", `d${d}`), { recursive: true });
  for (let start = 0; start < SOURCE_FILES; start += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, SOURCE_FILES - start) }, (_, k) => {
        const i = start + k;
        return writeFile(path.join(dir, "assets", `d${i % dirs}`, `f${i}.txt`), `${salt} asset ${i}\n`);
      }),
    );
  }
  return dir;
}

/** Writes a deployment request of `version` of the app in `source`; the version reaches the app as APP_VERSION. */
async function writeRequest(root: string, projectId: string, version: string, source: string): Promise<string> {
  const file = path.join(root, `request-${projectId}-${version}.json`);
  await writeFile(
    file,
    JSON.stringify({
      project_id: projectId,
      deployment_type: "api",
      tech_stack: ["Node.js"],
      target: "local",
      environment: { ENV: "development" },
      source,
      env: { APP_VERSION: version },
    }),
  );
  return file;
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the CLI to completion without blocking this process (the poller keeps running meanwhile). */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * Metadata sidecars (`*.attrs`) of the file backend's stack checkpoints that are not valid JSON. The backend writes
 * them in place, not atomically, so a kill can leave one empty; the engine then cannot read the checkpoint at all.
 */
async function tornSidecars(t: TestWorkspace): Promise<string[]> {
  const dir = path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner");
  const torn: string[] = [];
  for (const name of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".attrs"))) {
    const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
    try {
      JSON.parse(text);
    } catch {
      torn.push(`${name} (${text.length} bytes)`);
    }
  }
  return torn;
}

/** A failed run for a person: its output, the tail of the engine log its result names, and torn backend sidecars. */
async function explain(run: CliRun, t: TestWorkspace): Promise<string> {
  let log = "";
  try {
    const file = (JSON.parse(run.stdout) as { log_file?: string }).log_file;
    if (file) log = (await readFile(file, "utf8")).split("\n").slice(-40).join("\n");
  } catch {
    // No JSON result, or no log.
  }
  const torn = await tornSidecars(t);
  return [
    `exit ${run.code}`,
    run.stdout,
    run.stderr,
    log ? `--- engine log (tail) ---\n${log}` : "",
    torn.length > 0 ? `--- checkpoint sidecars in the state backend that are not JSON: ${torn.join(", ")}` : "",
  ].join("\n");
}

interface KillOutcome {
  /** True when the operation was still running and died of the SIGKILL. */
  readonly killed: boolean;
  /** The process group that was killed (the CLI's pid: it leads a group of its own). */
  readonly pgid: number;
  readonly exitCode: number | null;
  readonly output: string;
}

/** Starts the CLI in a process group of its own and kills the whole group with SIGKILL at `moment`. */
async function killAt(args: readonly string[], env: NodeJS.ProcessEnv, moment: Moment): Promise<KillOutcome> {
  const victim = spawn(process.execPath, [BIN, ...args], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const pgid = victim.pid!;
  let output = "";
  let exitedEarly = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    victim.on("exit", (code, signal) => {
      exitedEarly = true;
      resolve({ code, signal });
    }),
  );
  const seen = new Promise<void>((resolve) => {
    const check = () => {
      if (moment.marker === null || output.includes(moment.marker)) resolve();
    };
    // Output is always drained: a victim blocked on a full pipe would not be where the kill means to catch it.
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      check();
    };
    victim.stdout.on("data", onData);
    victim.stderr.on("data", onData);
    check();
  });
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    seen.then(() => "seen" as const),
    exited.then(() => "exited" as const),
    new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), 120_000))),
  ]);
  clearTimeout(timer);
  if (first !== "seen") {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Gone already.
    }
    throw new Error(`killing at ${describeMoment(moment)}: the marker never showed (${first}); output:\n${output}`);
  }
  if (moment.delayMs > 0) await sleep(moment.delayMs);
  if (!exitedEarly) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // The whole group exited in between.
    }
  }
  const { code, signal } = await exited;
  return { killed: signal === "SIGKILL", pgid, exitCode: code, output };
}

/** Processes of a killed operation still alive: members of its process group, and orphaned providers of the root. */
async function leftoversOf(pgid: number, root: string): Promise<string[]> {
  const rows = await liveProcesses();
  const group = rows.filter((row) => row.pgid === pgid);
  const orphans = await orphanedProviders(root, rows);
  return [...group, ...orphans.filter((row) => row.pgid !== pgid)].map((row) => `${row.pid} (pgid ${row.pgid}, ppid ${row.ppid}): ${row.args}`);
}

/** Processes left under the root once a destroy's last processes had a moment to exit. */
async function settledProcessesUnder(root: string): Promise<string[]> {
  const deadline = Date.now() + RELEASE_EXIT_GRACE_MS;
  let pids = await processesUnder(root);
  while (pids.length > 0 && Date.now() < deadline) {
    await sleep(100);
    pids = await processesUnder(root);
  }
  return Promise.all(pids.map(async (pid) => `${pid}: ${(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ")}`));
}

/** The stack's checkpoint in the file backend (empty when there is none yet). */
async function checkpoint(t: TestWorkspace, stack: string): Promise<string> {
  return readFile(path.join(t.workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner", `${stack}.json`), "utf8").catch(() => "");
}

async function fetchVersion(url: string): Promise<string> {
  const response = await fetch(url, { headers: { [POLLER_HEADER]: "1" }, signal: AbortSignal.timeout(10_000) });
  return `${response.status} ${(await response.text()).trim()}`;
}

/**
 * Polls the URL until stopped, with the versions allowed at each request's start: a 200 answer of any other body is
 * a violation, anything else a failure; a failure streak lasts from its first failed request to the next success.
 */
class VersionPoller {
  allowed = new Set<string>();
  requests = 0;
  failures = 0;
  readonly violations: string[] = [];
  readonly failureSamples: string[] = [];
  longestStreakMs = 0;
  longestStreakRequests = 0;
  private running = true;
  private streakStart: number | null = null;
  private streakRequests = 0;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    initial: readonly string[],
  ) {
    this.allowed = new Set(initial);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const allowed = new Set(this.allowed);
      const started = Date.now();
      let failure: string | null = null;
      try {
        const response = await fetch(this.url, { headers: { [POLLER_HEADER]: "1" }, signal: AbortSignal.timeout(5000) });
        const body = (await response.text()).trim();
        if (response.status !== 200) failure = `HTTP ${response.status} ${body}`;
        else if (!allowed.has(body)) {
          this.violations.push(`${new Date(started).toISOString()}: served '${body}' while only ${[...allowed].join(", ")} may be served`);
          failure = `unknown version '${body}'`;
        }
      } catch (error) {
        failure = String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      }
      this.requests += 1;
      if (failure === null) this.endStreak(Date.now());
      else {
        this.failures += 1;
        if (this.failureSamples.length < 20) this.failureSamples.push(`${new Date(started).toISOString()}: ${failure}`);
        this.streakStart ??= started;
        this.streakRequests += 1;
      }
      await sleep(20);
    }
  }

  private endStreak(at: number): void {
    if (this.streakStart === null) return;
    this.longestStreakMs = Math.max(this.longestStreakMs, at - this.streakStart);
    this.longestStreakRequests = Math.max(this.longestStreakRequests, this.streakRequests);
    this.streakStart = null;
    this.streakRequests = 0;
  }

  /** The longest streak so far, counting one still going on. */
  currentLongestMs(): number {
    return Math.max(this.longestStreakMs, this.streakStart === null ? 0 : Date.now() - this.streakStart);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.endStreak(Date.now());
  }
}

/** Destroys stacks with force and stops whatever of the test still runs under its root, then removes the root. */
async function cleanUp(t: TestWorkspace | undefined, projects: Iterable<string>): Promise<void> {
  if (!t) return;
  for (const project of projects) {
    await runCli(["destroy", project, "development", "--force", "--remove", "--workspace", t.workspace.dir, "--json"], t.env, 120_000);
  }
  // Everything under this unique root was started by this suite; nothing of it may outlive the run.
  for (const pid of await processesUnder(t.root)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  for (const row of await orphanedProviders(t.root)) {
    try {
      process.kill(row.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await t.cleanup();
}

/** After a kill: orphaned providers seen at once (the recovery has to clean them up), counted for the summary. */
async function noteOrphansAfterKill(root: string): Promise<void> {
  await sleep(150);
  tally.orphanedByKills += (await orphanedProviders(root)).filter((row) => row.args.includes("pulumi-resource-pulumi-nodejs")).length;
}

// The two groups below have workspaces, stacks and test roots of their own, so they run side by side (about a third
// off the suite's wall time); within each, the rounds run one after another, in order.
describe.concurrent("fault injection: a deploy of the next version killed with SIGKILL of its whole process group", () => {
  let t: TestWorkspace | undefined;
  let projectId = "";
  let stack = "";
  let url = "";
  let source = "";
  let current = "";
  let counter = 1;
  let poller: VersionPoller | undefined;

  beforeAll(async () => {
    t = await createTestWorkspace("dp-fault-");
    projectId = uniqueId("fault");
    stack = `${projectId}.development`;
    source = await writeSource(path.join(t.root, "app"), "base");
    current = `${projectId}-v1`;
    const first = await runCli(["deploy", await writeRequest(t.root, projectId, current, source), "--workspace", t.workspace.dir, "--json"], t.env);
    expect(first.code, await explain(first, t!)).toBe(0);
    url = JSON.parse(first.stdout).url as string;
    expect(await fetchVersion(url)).toBe(`200 ${current}`);
    poller = new VersionPoller(url, [current]);
  });

  afterAll(async () => {
    await poller?.stop();
    await cleanUp(t, projectId ? [projectId] : []);
  });

  REDEPLOY_MOMENTS.forEach((moment, index) => {
    it.sequential(`kill ${index + 1}: ${describeMoment(moment)} -> a plain deploy recovers; only known versions served; nothing of it left`, async () => {
      const w = t!;
      // A kill that comes too late (the deploy had finished) is retried once, right at the marker.
      for (const attempt of [moment, { ...moment, delayMs: 0 }]) {
        counter += 1;
        const next = `${projectId}-v${counter}`;
        if (attempt.freshSource) source = await writeSource(path.join(w.root, `app-${counter}`), next);
        const request = await writeRequest(w.root, projectId, next, source);
        poller!.allowed = new Set([current, next]);

        const kill = await killAt(["deploy", request, "--workspace", w.workspace.dir], w.env, attempt);
        if (!kill.killed) {
          tally.missed += 1;
          console.log(`[fault] redeploy: ${describeMoment(attempt)} came after the deploy had finished (exit ${kill.exitCode}); retrying`);
          expect(kill.exitCode, kill.output).toBe(0);
          current = next;
          poller!.allowed = new Set([current]);
          continue;
        }
        tally.kills += 1;
        await noteOrphansAfterKill(w.root);
        // Right after the kill the endpoint still serves one of the two versions.
        expect([`200 ${current}`, `200 ${next}`]).toContain(await fetchVersion(url));

        const recovery = await runCli(["deploy", request, "--workspace", w.workspace.dir, "--json"], w.env);
        expect(recovery.code, await explain(recovery, w)).toBe(0);
        const result = JSON.parse(recovery.stdout);
        expect(result).toMatchObject({ status: "success", url });
        expect(await fetchVersion(url)).toBe(`200 ${next}`);
        current = next;
        poller!.allowed = new Set([current]);

        expect(await checkpoint(w, stack)).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
        const leftovers = await leftoversOf(kill.pgid, w.root);
        tally.orphans += leftovers.length;
        expect(leftovers, "processes of the killed deploy still running after the recovery").toEqual([]);
        const releases = await releaseAccounting(w.root, w.workspace.dir, stack, APP_COMMAND, RELEASE_EXIT_GRACE_MS);
        expect(releases.unaccounted, "app servers no release accounts for after the recovery").toEqual([]);
        expect(releases.serving, "releases serving after the recovery").toBe(1);
        expect(releases.warm).toBeLessThanOrEqual(2);
        expect(poller!.violations).toEqual([]);
        expect(poller!.currentLongestMs(), poller!.failureSamples.join("\n")).toBeLessThanOrEqual(FAILURE_STREAK_BOUND_MS);
        tally.recovered += 1;
        console.log(
          `[fault] redeploy kill at ${describeMoment(attempt)}: recovered in ${(recovery.ms / 1000).toFixed(1)}s` +
            `${result.warnings?.some((w: string) => w.startsWith("repaired ")) ? " (repaired)" : ""}; poller ${poller!.requests} requests, ${poller!.failures} failed`,
        );
        return;
      }
      throw new Error(`no kill landed at ${describeMoment(moment)}, even right at the marker`);
    }, 300_000);
  });

  it.sequential("the poller saw only the versions being deployed, with no long failure streak, across all rounds", async () => {
    await poller!.stop();
    tally.polled += poller!.requests;
    tally.longestStreakMs = Math.max(tally.longestStreakMs, poller!.longestStreakMs);
    tally.longestStreakRequests = Math.max(tally.longestStreakRequests, poller!.longestStreakRequests);
    expect(poller!.requests).toBeGreaterThan(100);
    expect(poller!.violations).toEqual([]);
    expect(poller!.longestStreakMs, poller!.failureSamples.join("\n")).toBeLessThanOrEqual(FAILURE_STREAK_BOUND_MS);
  });
});

describe.concurrent("fault injection: a stack's first deploy, then its destroy, killed with SIGKILL of the whole process group", () => {
  // Each round has a workspace (and test root) of its own, so "nothing left under the root" speaks of that round only.
  let sources = "";
  let baseSource = "";
  let t: TestWorkspace | undefined;
  let projectId = "";

  beforeAll(async () => {
    sources = await mkdtemp(path.join(os.tmpdir(), "dp-fault-src-"));
    baseSource = await writeSource(path.join(sources, "app"), "base");
  });

  afterEach(async () => {
    await cleanUp(t, projectId ? [projectId] : []);
    t = undefined;
    projectId = "";
  });

  afterAll(async () => {
    if (sources) await rm(sources, { recursive: true, force: true });
  });

  LIFECYCLE_ROUNDS.forEach(({ deploy, destroy }, index) => {
    it.sequential(`round ${index + 1}: first deploy killed at ${describeMoment(deploy)}, destroy killed at ${describeMoment(destroy)} -> plain deploy and plain destroy recover`, async () => {
      const w = (t = await createTestWorkspace("dp-fault-life-"));
      projectId = uniqueId(`first${index + 1}`);
      const stack = `${projectId}.development`;
      const version = `${projectId}-v1`;
      const source = deploy.freshSource ? await writeSource(path.join(sources, `app-${index + 1}`), projectId) : baseSource;
      const request = await writeRequest(w.root, projectId, version, source);

      // The first deploy, killed: nothing was deployed before, so a plain deploy has to bring up everything.
      const deployKill = await killAt(["deploy", request, "--workspace", w.workspace.dir], w.env, deploy);
      if (deployKill.killed) {
        tally.kills += 1;
        await noteOrphansAfterKill(w.root);
      } else {
        tally.missed += 1;
        expect(deployKill.exitCode, deployKill.output).toBe(0);
      }
      const deployed = await runCli(["deploy", request, "--workspace", w.workspace.dir, "--json"], w.env);
      expect(deployed.code, await explain(deployed, w)).toBe(0);
      const result = JSON.parse(deployed.stdout);
      expect(result).toMatchObject({ status: "success" });
      const url = result.url as string;
      expect(await fetchVersion(url)).toBe(`200 ${version}`);
      expect(await checkpoint(w, stack)).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
      const deployLeftovers = await leftoversOf(deployKill.pgid, w.root);
      tally.orphans += deployLeftovers.length;
      expect(deployLeftovers, "processes of the killed first deploy still running after the recovery").toEqual([]);
      const releases = await releaseAccounting(w.root, w.workspace.dir, stack, APP_COMMAND, RELEASE_EXIT_GRACE_MS);
      expect(releases.unaccounted, "app servers no release accounts for after the recovery").toEqual([]);
      expect([releases.serving, releases.warm], "releases serving and warm after the recovery").toEqual([1, 0]);
      if (deployKill.killed) tally.recovered += 1;
      console.log(`[fault] first deploy ${deployKill.killed ? "killed" : "(missed)"} at ${describeMoment(deploy)}: recovered in ${(deployed.ms / 1000).toFixed(1)}s`);

      // Its destroy, killed: a plain destroy has to remove everything, and the port has to be free.
      const port = Number(new URL(url).port);
      const destroyKill = await killAt(["destroy", projectId, "development", "--workspace", w.workspace.dir], w.env, destroy);
      if (destroyKill.killed) {
        tally.kills += 1;
        await noteOrphansAfterKill(w.root);
      } else {
        tally.missed += 1;
        expect(destroyKill.exitCode, destroyKill.output).toBe(0);
      }
      const destroyed = await runCli(["destroy", projectId, "development", "--workspace", w.workspace.dir, "--json"], w.env);
      expect(destroyed.code, await explain(destroyed, w)).toBe(0);
      expect(JSON.parse(destroyed.stdout)).toMatchObject({ status: "destroyed", stack });
      expect(await portRefuses(port)).toBe(true);
      expect(await checkpoint(w, stack)).not.toMatch(/"pending_operations"\s*:\s*\[\s*\{/);
      const destroyLeftovers = await leftoversOf(destroyKill.pgid, w.root);
      tally.orphans += destroyLeftovers.length;
      expect(destroyLeftovers, "processes of the killed destroy still running after the recovery").toEqual([]);
      expect(await settledProcessesUnder(w.root), "processes under the test root after the destroy").toEqual([]);
      if (destroyKill.killed) tally.recovered += 1;
      // Destroyed for good: the clean-up need not run the engine for this stack again.
      projectId = "";
      console.log(`[fault] destroy ${destroyKill.killed ? "killed" : "(missed)"} at ${describeMoment(destroy)}: recovered in ${(destroyed.ms / 1000).toFixed(1)}s`);
    }, 300_000);
  });
});

it("fault injection summary: every kill recovered, nothing orphaned", () => {
  const wall = ((Date.now() - tally.started) / 1000).toFixed(0);
  console.log(
    `fault-injection summary: kills=${tally.kills} recovered=${tally.recovered} orphans=${tally.orphans} ` +
      `longest_failure_streak=${tally.longestStreakMs}ms (${tally.longestStreakRequests} requests) ` +
      `missed=${tally.missed} orphaned_providers_after_kills=${tally.orphanedByKills} polled_requests=${tally.polled} wall=${wall}s`,
  );
  expect(tally.kills).toBeGreaterThanOrEqual(30);
  expect(tally.recovered).toBe(tally.kills);
  expect(tally.orphans).toBe(0);
  expect(tally.longestStreakMs).toBeLessThanOrEqual(FAILURE_STREAK_BOUND_MS);
});
