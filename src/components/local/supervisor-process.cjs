// Processes of the local supervisor's releases: starting one (its environment, its masked log file, a keep-alive pool
// to it), probing its health path, stopping its process group; and the small helpers they need. No shared state:
// the supervisor keeps the releases. Plain JavaScript with no package dependencies; it masks secrets and picks ports
// with the product's own compiled modules, so it runs from the built package (dist/), where scripts/build.cjs copies it
// beside them.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { SecretMasker } = require("../../secrets/masker");
const { freeLoopbackPort } = require("../../ports");

/** A function that replaces the secret values (and the forms they take in output) in a log line with [secret]. */
function makeMasker(values) {
  const masker = new SecretMasker((values || []).filter((v) => typeof v === "string"));
  return (text) => masker.mask(text);
}

/** The last lines of a file, or nothing. */
function tail(file, lines) {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.split("\n").filter(Boolean).slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** One request to a release's health path: "ok" for 2xx/3xx, else what went wrong. */
function probe(releasePort, healthPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port: releasePort, path: healthPath, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 400 ? "ok" : `HTTP ${res.statusCode}`);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => resolve(error.code || error.message));
  });
}

/**
 * When a process started, as the kernel counts it (clock ticks since boot, from /proc/<pid>/stat), or null where
 * that cannot be read. A pid and its start time name one process: a later process reusing the pid has another.
 */
function startTimeOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; the fields after its closing one are plain.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] || null;
  } catch {
    return null;
  }
}

/** Stops a release's process group: SIGTERM, then SIGKILL after 5 s. */
function stopProcess(release) {
  if (release.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-release.child.pid, "SIGKILL");
      } catch {}
    }, 5000);
    release.child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-release.child.pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * Starts a release from its spec (id, cwd, command or a static site, env, secret values to mask) on a free loopback
 * port, in a process group of its own, its output written masked to `<logsDir>/<id>.log`. `onExit(code, signal)` runs
 * once it exits. Returns the release record the supervisor keeps.
 */
async function spawnRelease(spec, logsDir, onExit) {
  const id = spec.id;
  const releasePort = await freeLoopbackPort();
  const logFile = path.join(logsDir, `${id}.log`);
  const mask = makeMasker(spec.secretValues);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG || "C.UTF-8",
    NODE_ENV: spec.nodeEnv || "production",
    ...spec.env,
    PORT: String(releasePort),
    HOST: "127.0.0.1",
    DEPLOYMENT_PLANNER_RELEASE_ID: id,
  };
  const command = spec.command && spec.command.length > 0 ? spec.command : null;
  const child = command
    ? spawn("/bin/sh", ["-c", command], { cwd: spec.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [path.join(__dirname, "static-server.cjs"), spec.cwd], {
        cwd: spec.cwd,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
  // One keep-alive pool per release, closed when the release stops so its server can exit at once.
  // No socket limit: a release's slow responses must not hold back its other requests.
  const agent = new http.Agent({ keepAlive: true });
  // `known`: some stack state has recorded this release (its provider was asked to diff it); see stopUnknownReleases.
  // `warm`: replaced, kept running for an instant rollback; `fingerprint`: a digest of its settings (memory only).
  const release = {
    id,
    processId: id,
    child,
    port: releasePort,
    inflight: 0,
    exited: false,
    exitCode: null,
    logFile,
    mask,
    agent,
    known: false,
    warm: false,
    warmSince: 0,
    fingerprint: typeof spec.fingerprint === "string" ? spec.fingerprint : null,
    startTime: startTimeOf(child.pid),
  };
  const out = fs.createWriteStream(logFile, { flags: "a", mode: 0o600 });
  let openPipes = 2;
  release.logsFlushed = new Promise((resolve) => {
    release.onPipeClosed = () => {
      openPipes -= 1;
      if (openPipes === 0) out.end(resolve);
    };
  });
  const pipe = (stream) => {
    let pending = "";
    stream.on("data", (chunk) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines) out.write(mask(line) + "\n");
    });
    stream.on("end", () => {
      if (pending) out.write(mask(pending) + "\n");
      release.onPipeClosed();
    });
  };
  pipe(child.stdout);
  pipe(child.stderr);
  child.on("exit", (code, signal) => {
    release.exited = true;
    release.exitCode = code;
    onExit(code, signal);
  });
  return release;
}

module.exports = { makeMasker, probe, spawnRelease, startTimeOf, stopProcess, tail };
