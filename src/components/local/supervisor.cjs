#!/usr/bin/env node
// The local target's per-stack supervisor. It outlives the CLI that started it and:
// - listens on the stack's stable port and reverse-proxies every request to the active release;
// - takes commands on a unix socket in the stack's state directory (start a release, wait for its health check,
//   switch traffic, stop a release after draining it, report status, shut down);
// - keeps the last few replaced releases running ("warm"), so a rollback to one of them takes the traffic at once;
// - runs canary rollouts: a new release takes a growing share of the traffic, gated on its observed error rate;
// - writes each release's output to a log file with known secret values masked;
// - proves to a health check that it is this stack's supervisor, and which release answered (supervisor-identity.cjs).
// Release environments (secrets included) arrive over the socket and live only in memory.
// Plain JavaScript with no package dependencies, so it starts fast; it runs from the built package (dist/), whose
// compiled secret masker and port helper its release processes use (supervisor-process.cjs).
"use strict";

const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const { createProxy } = require("./supervisor-proxy.cjs");
const { probe, spawnRelease, startTimeOf, stopProcess, tail } = require("./supervisor-process.cjs");
const { Rollout } = require("./supervisor-rollout.cjs");
const { identityHeaders, loadOrCreateKey } = require("./supervisor-identity.cjs");

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...rest] = arg.replace(/^--/, "").split("=");
    return [key, rest.join("=")];
  }),
);
const stateDir = args["state-dir"];
const port = Number(args.port);
if (!stateDir || !Number.isInteger(port)) {
  process.stderr.write("usage: supervisor.cjs --state-dir=<dir> --port=<port> [--control-socket=<path>] [--warm=<count>]\n");
  process.exit(2);
}
// The provider names the socket when the state directory's own path is too long for a Unix socket.
const socketPath = args["control-socket"] || path.join(stateDir, "control.sock");
// How many replaced releases stay running for an instant rollback.
const warmLimit = Number.isInteger(Number(args.warm)) && args.warm !== "" && args.warm !== undefined ? Math.max(0, Number(args.warm)) : 2;
const releasesFile = path.join(stateDir, "releases.json");
const logsDir = path.join(stateDir, "logs");
fs.mkdirSync(logsDir, { recursive: true });
const identityKey = loadOrCreateKey(stateDir);

/** @type {Map<string, {id: string, child: import('node:child_process').ChildProcess, port: number, inflight: number, exited: boolean, exitCode: number|null, logFile: string, mask: (s: string) => string}>} */
const releases = new Map();
let activeId = null;
/** The current or last canary rollout (kept for `status` once it has ended). */
let rollout = null;

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// Processes recorded by an earlier supervisor of this stack that died without stopping them: only a process that
// started when the record says and whose environment names the release is one of them.
function reapRecordedReleases() {
  let recorded = [];
  try {
    recorded = JSON.parse(fs.readFileSync(releasesFile, "utf8"));
  } catch {
    return;
  }
  for (const entry of recorded) {
    try {
      if (entry.startTime && startTimeOf(entry.pid) !== entry.startTime) continue;
      const environ = fs.readFileSync(`/proc/${entry.pid}/environ`, "latin1");
      if (`\0${environ}`.includes(`\0DEPLOYMENT_PLANNER_RELEASE_ID=${entry.id}\0`)) process.kill(-entry.pid, "SIGKILL");
    } catch {
      // Gone already, or not ours.
    }
  }
}

function recordReleases() {
  // `processId` is the id the process was started under (its environment names it); a reused warm release keeps it.
  // The start time tells a later reader this process from another that reuses its pid.
  const list = [...releases.values()]
    .filter((r) => !r.exited)
    .map((r) => ({ id: r.processId, pid: r.child.pid, startTime: r.startTime, port: r.port }));
  fs.writeFileSync(releasesFile + ".tmp", JSON.stringify(list));
  fs.renameSync(releasesFile + ".tmp", releasesFile);
}

/** A warm release that runs exactly the settings with this fingerprint, if any is alive. */
function warmReleaseFor(fingerprint) {
  if (!fingerprint) return null;
  return [...releases.values()].find((r) => r.warm && !r.exited && r.fingerprint === fingerprint) || null;
}

/** Answers true once the release passes its health check, trying for up to `timeoutMs`. */
async function healthyWithin(release, healthPath, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  // Most releases answer within a few tens of milliseconds of starting: ask soon, then back off to every 100 ms.
  for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
    if (release.exited) return false;
    if ((await probe(release.port, healthPath)) === "ok") return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * Serves a new release id from a warm release that runs the same settings: no process start, only a health check.
 * Null when there is none, or it no longer passes its health check (then it is stopped).
 */
async function reuseWarmRelease(spec, isAbandoned) {
  const warm = warmReleaseFor(spec.fingerprint);
  if (!warm) return null;
  if (!(await healthyWithin(warm, spec.healthPath || "/", 2000))) {
    log(`warm release ${warm.id} failed its health check; starting a new one`);
    await stopRelease(warm.id);
    return null;
  }
  // Switched ahead by a rollback, it serves already; the release it took over from is the one to fall back to.
  const previous = activeId === warm.id ? warm.previousActive || null : activeId;
  const switchedAhead = activeId === warm.id;
  releases.delete(warm.id);
  log(`release ${spec.id} reuses warm release ${warm.id}`);
  warm.id = spec.id;
  warm.warm = false;
  warm.known = false;
  releases.set(spec.id, warm);
  recordReleases();
  if (switchedAhead) {
    // A rollback moved the traffic already; the update only records it.
    activeId = spec.id;
    return { id: spec.id, port: warm.port, pid: warm.child.pid, previous };
  }
  return { id: spec.id, port: warm.port, pid: warm.child.pid, previous: await takeTraffic(warm, spec, isAbandoned) };
}

async function startRelease(spec, isAbandoned = () => false) {
  const id = spec.id;
  if (releases.has(id) && !releases.get(id).exited) {
    return { id, port: releases.get(id).port, pid: releases.get(id).child.pid, previous: activeId };
  }
  abortHeldRollout("a new release was started");
  const reused = await reuseWarmRelease(spec, isAbandoned);
  if (reused) return reused;
  const release = await spawnRelease(spec, logsDir, (code, signal) => {
    log(`release ${id} exited (${signal || code})`);
    recordReleases();
  });
  releases.set(id, release);
  recordReleases();

  const { child, port: releasePort, logFile } = release;
  const deadline = Date.now() + (spec.healthTimeoutMs || 30000);
  let last = "not started";
  // A new process takes some tens of milliseconds to listen: ask soon, then back off to every 150 ms.
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 150)) {
    if (release.exited) {
      // The log tail is only complete once the app's output has been written out.
      await Promise.race([release.logsFlushed, new Promise((r) => setTimeout(r, 2000))]);
      throw Object.assign(new Error(`the release exited with code ${release.exitCode} before answering ${spec.healthPath}`), {
        logTail: tail(logFile, 20),
      });
    }
    if (isAbandoned()) break;
    last = await probe(releasePort, spec.healthPath || "/");
    if (last === "ok" && !isAbandoned()) {
      log(`release ${id} healthy on ${releasePort}`);
      return { id, port: releasePort, pid: child.pid, previous: await takeTraffic(release, spec, isAbandoned) };
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  await stopProcess(release);
  await Promise.race([release.logsFlushed, new Promise((r) => setTimeout(r, 2000))]);
  if (isAbandoned()) throw new Error(`release ${id} was abandoned by its creator before it became healthy`);
  throw Object.assign(new Error(`${spec.healthPath || "/"} did not answer 2xx/3xx within ${(spec.healthTimeoutMs || 30000) / 1000}s (last: ${last})`), {
    logTail: tail(logFile, 20),
  });
}

/**
 * A healthy new release takes the traffic: at once, or, when the spec asks for a canary and another release serves,
 * step by step (see supervisor-rollout.cjs). Returns the release that served before. An aborted rollout stops the
 * release and throws, with the rollout's figures; a rollout whose creator went away is held (weights kept).
 */
async function takeTraffic(release, spec, isAbandoned) {
  const previous = activeId;
  const stable = previous ? releases.get(previous) : null;
  if (!spec.rollout || !stable || stable.exited || previous === release.id) {
    activeId = release.id;
    log(`traffic switched to ${release.id} from ${previous || "none"}`);
    return previous;
  }
  const current = new Rollout({
    stableId: previous,
    canaryId: release.id,
    steps: spec.rollout.steps,
    stepIntervalMs: spec.rollout.stepIntervalMs,
    maxErrorRate: spec.rollout.maxErrorRate,
    minRequests: spec.rollout.minRequests,
    probe: () => probe(release.port, spec.healthPath || "/"),
    log,
    // A held rollout that times out, or is aborted by another command, has nobody left to stop its canary.
    onAbort: () => {
      if (current.heldSince !== null) stopRelease(release.id).catch(() => undefined);
    },
  });
  rollout = current;
  const outcome = await current.run(isAbandoned);
  if (outcome === "held") return previous;
  if (outcome === "aborted") {
    await stopRelease(release.id);
    throw Object.assign(new Error(`canary aborted: ${current.reason}`), { rollout: current.snapshot() });
  }
  activeId = release.id;
  log(`canary ${release.id} completed; traffic switched from ${previous}`);
  return previous;
}

/** Aborts a rollout whose deployer went away (the next operation on the stack decides: it aborts). */
function abortHeldRollout(why) {
  if (rollout && rollout.status === "held") rollout.abort(why);
}

/** Which release serves a request: the canary or the stable one during a rollout, else the active one. */
function route() {
  if (rollout && (rollout.status === "running" || rollout.status === "held")) {
    const chosen = releases.get(rollout.pick() === "canary" ? rollout.canaryId : rollout.stableId);
    if (chosen && !chosen.exited) return chosen;
  }
  const release = activeId ? releases.get(activeId) : null;
  return release && !release.exited ? release : null;
}

/** Undoes a release whose creator hung up: traffic goes back to the release it replaced, and it is stopped. */
async function abandonRelease(id, previous) {
  if (activeId === id) activeId = previous && releases.has(previous) && !releases.get(previous).exited ? previous : null;
  log(`release ${id} abandoned by its creator; traffic back on ${activeId || "none"}`);
  await stopRelease(id);
}

async function stopRelease(id) {
  const release = releases.get(id);
  if (!release) return;
  if (activeId === id) {
    // Traffic goes to the newest other live release, if any; otherwise the endpoint answers 503. A warm release is an
    // older version, never a fallback.
    const others = [...releases.values()].filter((r) => r.id !== id && !r.exited && !r.warm);
    activeId = others.length > 0 ? others[others.length - 1].id : null;
  }
  // Let requests already sent to this release finish before it stops.
  const drainDeadline = Date.now() + 10000;
  while (release.inflight > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  release.agent.destroy();
  await stopProcess(release);
  releases.delete(id);
  recordReleases();
}

/**
 * Stops every release but `keepId` that no stack state has recorded. Called once a new release took the traffic and
 * its creator got the answer: a release the state records is diffed by the engine before it is replaced (the provider
 * marks it known then), so any other one was started by an update that died before recording it. On a redeploy such
 * releases are also stopped when the replaced release is deleted, but a stack's first deploy replaces nothing, so a
 * release left by a killed first deploy would otherwise run, unknown to anyone, until the stack is destroyed.
 */
async function stopUnknownReleases(keepId) {
  const unknown = [...releases.values()].filter((r) => r.id !== keepId && !r.known && !r.exited && !r.warm);
  for (const release of unknown) log(`release ${release.id} is known to no state; stopping it`);
  await Promise.all(unknown.map((release) => stopRelease(release.id)));
}

function status() {
  return {
    pid: process.pid,
    port,
    active: activeId,
    releases: [...releases.values()].map((r) => ({ id: r.id, pid: r.child.pid, port: r.port, alive: !r.exited, warm: r.warm })),
    rollout: rollout ? rollout.snapshot() : null,
  };
}

/**
 * The engine deletes a release once its replacement serves. Up to `warmLimit` such releases stay running, newest
 * first, so a rollback can switch to one at once; the oldest beyond that, and any that serves traffic, stop.
 */
async function retireRelease(id) {
  const release = releases.get(id);
  if (!release) return;
  if (warmLimit === 0 || release.exited || activeId === id || !release.fingerprint) {
    await stopRelease(id);
    return;
  }
  release.warm = true;
  release.warmSince = Date.now();
  log(`release ${id} replaced; kept warm for a rollback`);
  const warm = [...releases.values()].filter((r) => r.warm && r.id !== activeId).sort((a, b) => b.warmSince - a.warmSince);
  await Promise.all(warm.slice(warmLimit).map((r) => stopRelease(r.id)));
}

/**
 * Switches the traffic to the warm release with this fingerprint once it passes its health check, ahead of the
 * engine update that will record it (a rollback). It stays marked warm until that update reuses it.
 */
async function switchToWarm(fingerprint, healthPath) {
  const warm = warmReleaseFor(fingerprint);
  if (!warm) return { switched: false, reason: "no warm release runs these settings" };
  if (!(await healthyWithin(warm, healthPath || "/", 2000))) return { switched: false, reason: "the warm release failed its health check" };
  const previous = activeId;
  warm.previousActive = previous;
  activeId = warm.id;
  log(`traffic switched ahead to warm release ${warm.id} from ${previous || "none"}`);
  return { switched: true, id: warm.id, previous };
}

/** Undoes `switchToWarm` when the update that followed it failed: traffic back on the release that served before. */
function switchBack(id, previous) {
  const release = previous ? releases.get(previous) : null;
  if (activeId !== id || !release || release.exited) return { switched: false };
  activeId = previous;
  log(`traffic switched back to ${previous}`);
  return { switched: true };
}

const proxy = createProxy({
  route,
  retryTarget: (release) => {
    if (!rollout || release.id !== rollout.canaryId) return null;
    const stable = releases.get(rollout.stableId);
    return stable && !stable.exited ? stable : null;
  },
  onOutcome: (release, outcome) => {
    if (rollout && (rollout.status === "running" || rollout.status === "held")) {
      if (release.id === rollout.canaryId) rollout.record("canary", outcome);
      else if (release.id === rollout.stableId) rollout.record("stable", outcome);
    }
  },
  onStart: (release) => {
    release.inflight += 1;
  },
  onEnd: (release) => {
    release.inflight -= 1;
  },
  identify: (challenge, releaseId) => identityHeaders(identityKey, challenge, releaseId, port),
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
      if (body.length > 8 * 1024 * 1024) reject(new Error("request too large"));
    });
    req.on("end", () => resolve(body ? JSON.parse(body) : {}));
    req.on("error", reject);
  });
}

function reply(res, code, body) {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const control = http.createServer(async (req, res) => {
  try {
    if (req.method === "GET" && req.url === "/status") return reply(res, 200, status());
    if (req.method === "POST" && req.url === "/releases") {
      const spec = await readBody(req);
      // A creator that hangs up before the answer (its engine was killed) never records the release in its state:
      // such a release is stopped instead of being left running unknown to anyone.
      let abandoned = false;
      res.on("close", () => {
        if (!res.writableFinished) abandoned = true;
      });
      try {
        const started = await startRelease(spec, () => abandoned);
        if (rollout && rollout.canaryId === started.id && rollout.status === "held") return;
        if (abandoned) {
          await abandonRelease(started.id, started.previous);
          return;
        }
        reply(res, 200, { id: started.id, port: started.port, pid: started.pid });
        // Not awaited by the creator: the new release already serves, the others serve nothing.
        stopUnknownReleases(started.id).catch((error) => log(`stopping releases known to no state failed: ${error.message}`));
        return;
      } catch (error) {
        return reply(res, 500, { error: error.message, logTail: error.logTail || "", rollout: error.rollout || null });
      }
    }
    const known = /^\/releases\/([A-Za-z0-9_-]+)\/known$/.exec(req.url || "");
    if (req.method === "POST" && known) {
      const release = releases.get(known[1]);
      if (release) release.known = true;
      return reply(res, 200, { known: Boolean(release) });
    }
    const match = /^\/releases\/([A-Za-z0-9_-]+)$/.exec(req.url || "");
    if (req.method === "DELETE" && match) {
      abortHeldRollout("the release it replaces was deleted");
      await retireRelease(match[1]);
      // The engine deletes a release once its replacement serves; any other release still running then (warm ones
      // aside) was started by an update that died before recording it, and no state will ever delete it.
      const orphans = [...releases.values()].filter((r) => r.id !== activeId && !r.exited && !r.warm);
      for (const orphan of orphans) log(`release ${orphan.id} is known to no state; stopping it`);
      await Promise.all(orphans.map((orphan) => stopRelease(orphan.id)));
      return reply(res, 200, status());
    }
    if (req.method === "POST" && req.url === "/rollout/abort") {
      const body = await readBody(req);
      const running = rollout && (rollout.status === "running" || rollout.status === "held");
      if (running) rollout.abort(String(body.reason || "aborted by request").slice(0, 200));
      return reply(res, 200, { aborted: Boolean(running), rollout: rollout ? rollout.snapshot() : null });
    }
    if (req.method === "POST" && req.url === "/rollout/promote") {
      const body = await readBody(req);
      const promoted = rollout ? rollout.complete(String(body.reason || "promoted by request").slice(0, 200)) : false;
      return reply(res, 200, { promoted, rollout: rollout ? rollout.snapshot() : null });
    }
    if (req.method === "POST" && req.url === "/switch") {
      abortHeldRollout("a rollback switched to an earlier release");
      const body = await readBody(req);
      return reply(res, 200, await switchToWarm(String(body.fingerprint || ""), body.healthPath));
    }
    if (req.method === "POST" && req.url === "/switch-back") {
      const body = await readBody(req);
      return reply(res, 200, switchBack(String(body.id || ""), String(body.previous || "")));
    }
    if (req.method === "POST" && req.url === "/shutdown") {
      reply(res, 200, { stopping: true });
      await shutdown();
      return;
    }
    reply(res, 404, { error: "unknown command" });
  } catch (error) {
    reply(res, 500, { error: error.message });
  }
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  log("shutting down");
  await Promise.all([...releases.keys()].map((id) => stopRelease(id)));
  proxy.close();
  proxy.closeAllConnections?.();
  control.close();
  try {
    fs.unlinkSync(socketPath);
  } catch {}
  try {
    fs.unlinkSync(releasesFile);
  } catch {}
  setTimeout(() => process.exit(0), 50);
}

process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());

reapRecordedReleases();
try {
  fs.unlinkSync(socketPath);
} catch {}
proxy.on("error", (error) => {
  log(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(3);
});
proxy.listen(port, "127.0.0.1", () => {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  control.listen(socketPath, () => {
    fs.chmodSync(socketPath, 0o600);
    fs.writeFileSync(path.join(stateDir, "supervisor.pid"), String(process.pid));
    log(`supervisor ${process.pid} serving 127.0.0.1:${port}`);
  });
});
