// The local supervisor's proof of identity. A health check sends a fresh challenge in a request header; the proxy
// answers with the id of the release that served the request and an HMAC of the challenge, that release id and the
// port, keyed with a per-stack key kept in the stack's state directory (mode 0600). A server that is not this stack's
// supervisor (anything else that took the port) cannot produce it, and a proof seen once is worth nothing for the next
// challenge. The challenge header is never forwarded to the app, and a request without one gets no identity headers.
// Plain JavaScript with no dependencies, like the supervisor; src/components/local/release-proof.ts verifies.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** Request header carrying the caller's challenge. */
const CHALLENGE_HEADER = "x-deployment-planner-challenge";
/** Response header naming the release that served the request ("none" when no release runs). */
const RELEASE_HEADER = "x-deployment-planner-release";
/** Response header carrying the proof. */
const PROOF_HEADER = "x-deployment-planner-proof";
/** Path the supervisor answers itself (never the app) when, and only when, the request carries a challenge. */
const IDENTITY_PATH = "/.well-known/deployment-planner/identity";
/** The key's file in the stack's state directory. */
const KEY_FILE = "identity.key";
/** The release header's value when no release serves. */
const NO_RELEASE = "none";

/** A challenge as the proxy accepts it: 16 to 128 URL-safe characters; anything else is ignored. */
function validChallenge(value) {
  return typeof value === "string" && /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : null;
}

/** The stack's key: read from its state directory, created there (32 random bytes, mode 0600) on first use. */
function loadOrCreateKey(stateDir) {
  const file = path.join(stateDir, KEY_FILE);
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
  }
  // A key file made by hand (or restored from a backup) with a wider mode is narrowed.
  fs.chmodSync(file, 0o600);
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
  if (key.length < 16) throw new Error(`${file} does not hold a key; remove it and start again`);
  return key;
}

/** The proof for a challenge, the serving release's id and the supervisor's port. */
function proofOf(key, challenge, releaseId, port) {
  return crypto.createHmac("sha256", key).update(`deployment-planner release proof\n${challenge}\n${releaseId}\n${port}`).digest("hex");
}

/** The identity headers of a response to a challenged request. */
function identityHeaders(key, challenge, releaseId, port) {
  const release = releaseId || NO_RELEASE;
  return { [RELEASE_HEADER]: release, [PROOF_HEADER]: proofOf(key, challenge, release, port) };
}

module.exports = { CHALLENGE_HEADER, RELEASE_HEADER, PROOF_HEADER, IDENTITY_PATH, KEY_FILE, NO_RELEASE, validChallenge, loadOrCreateKey, proofOf, identityHeaders };
