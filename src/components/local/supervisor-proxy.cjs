// The local supervisor's reverse proxy: forwards each request (WebSocket upgrades included) to the release the router
// picks, as an HTTP proxy should — hop-by-hop headers stay on their hop, X-Forwarded-* say where the request came
// from — and reports every outcome (status, or a connection failure) so a rollout can count them per release. A
// request carrying an identity challenge gets the supervisor's signed answer (see supervisor-identity.cjs); the
// challenge never reaches the app, and identity headers an app sets itself never reach the client.
// Plain JavaScript with no dependencies, like the supervisor.
"use strict";

const http = require("node:http");
const net = require("node:net");
const { CHALLENGE_HEADER, IDENTITY_PATH, PROOF_HEADER, RELEASE_HEADER, validChallenge } = require("./supervisor-identity.cjs");

// RFC 9110 section 7.6.1: connection-specific headers, never forwarded.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
// The supervisor's own exchange with a health check: neither forwarded to the app nor taken from it.
const IDENTITY = new Set([CHALLENGE_HEADER, RELEASE_HEADER, PROOF_HEADER]);

/** Headers for the next hop: hop-by-hop ones (and those the Connection header names) removed. */
function endToEndHeaders(headers) {
  const named = String(headers.connection || "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || IDENTITY.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Request headers with X-Forwarded-For/-Host/-Proto added for the release. */
function forwardedHeaders(req, headers) {
  const client = req.socket.remoteAddress || "";
  const prior = req.headers["x-forwarded-for"];
  return {
    ...headers,
    "x-forwarded-for": prior ? `${prior}, ${client}` : client,
    "x-forwarded-host": req.headers["x-forwarded-host"] || req.headers.host || "",
    "x-forwarded-proto": req.headers["x-forwarded-proto"] || "http",
  };
}

/**
 * Creates the proxy server.
 * - `route(req)` returns the release to serve a request ({ id, port, agent }) or null (no release: 503).
 * - `retryTarget(release)` returns another release to retry an idempotent request on when `release` refused the
 *   connection before answering (a canary that died), or null.
 * - `onOutcome(release, outcome)` is called once per request: outcome is the status code, or "connection" when the
 *   release could not be reached.
 * - `onStart(release)` / `onEnd(release)` bracket every request and upgrade (in-flight counting for draining).
 * - `identify(challenge, releaseId)` returns the identity headers answering a challenge (releaseId null: no release).
 */
function createProxy({ route, retryTarget, onOutcome, onStart, onEnd, identify }) {
  const server = http.createServer((req, res) => {
    const challenge = validChallenge(req.headers[CHALLENGE_HEADER]);
    const release = route(req);
    const proof = (releaseId) => (challenge ? identify(challenge, releaseId) : {});
    if (challenge && req.method === "GET" && req.url === IDENTITY_PATH) {
      res.writeHead(204, { "cache-control": "no-store", ...proof(release ? release.id : null) });
      res.end();
      return;
    }
    if (!release) {
      res.writeHead(503, { "content-type": "text/plain", ...proof(null) });
      res.end("no release is running\n");
      return;
    }
    forward(req, res, release, true, proof);
  });

  function forward(req, res, release, mayRetry, proof) {
    onStart(release);
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        onEnd(release);
      }
    };
    res.on("close", end);
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: release.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req, endToEndHeaders(req.headers)),
        agent: release.agent,
      },
      (upstreamRes) => {
        onOutcome(release, upstreamRes.statusCode || 502);
        res.writeHead(upstreamRes.statusCode || 502, { ...endToEndHeaders(upstreamRes.headers), ...proof(release.id) });
        upstreamRes.pipe(res);
        upstreamRes.on("error", () => res.destroy());
      },
    );
    upstream.on("error", (error) => {
      if (res.headersSent) {
        res.destroy();
        end();
        return;
      }
      onOutcome(release, "connection");
      // A request without a body that never reached the app can go to the stable release instead.
      const fallback = mayRetry && (req.method === "GET" || req.method === "HEAD") && error.code === "ECONNREFUSED" ? retryTarget(release) : null;
      if (fallback) {
        end();
        res.removeListener("close", end);
        forward(req, res, fallback, false, proof);
        return;
      }
      res.writeHead(502, { "content-type": "text/plain", ...proof(release.id) });
      res.end("release unavailable\n");
      end();
    });
    req.pipe(upstream);
  }

  // WebSocket (and any other) upgrades: the handshake goes to the release, then bytes flow both ways untouched.
  server.on("upgrade", (req, socket, head) => {
    const release = route(req);
    if (!release) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    onStart(release);
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        onEnd(release);
      }
    };
    const upstream = net.connect(release.port, "127.0.0.1");
    const headers = forwardedHeaders(req, endToEndHeaders(req.headers));
    // The upgrade itself must reach the release: it is the one hop-by-hop exchange an upgrade is about.
    headers.connection = "Upgrade";
    headers.upgrade = req.headers.upgrade || "websocket";
    upstream.on("connect", () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]))];
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head && head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      onOutcome(release, 101);
    });
    upstream.on("error", () => {
      onOutcome(release, "connection");
      socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      end();
    });
    socket.on("error", () => upstream.destroy());
    socket.on("close", () => {
      upstream.destroy();
      end();
    });
    upstream.on("close", () => socket.destroy());
  });

  server.keepAliveTimeout = 5000;
  return server;
}

module.exports = { createProxy, endToEndHeaders };
