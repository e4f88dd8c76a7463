import { createHmac } from "node:crypto";
import http from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePulumi } from "../../src/toolchain/pulumi";
import { openWorkspace } from "../../src/automation/index";
import { API_ROUTES, buildApi } from "../../src/service/api";
import { loadServiceConfig } from "../../src/service/config";
import type { ServiceDatabase } from "../../src/service/database";
import { SERVICE_SCHEMA } from "../../src/service/migrations";
import { openJobQueue, type JobQueue } from "../../src/service/queue";
import { createToken, revokeToken } from "../../src/service/tokens";
import { TEST_PASSPHRASE } from "../support/engine";
import { closeTestDatabase, openTestDatabase } from "../support/database";

/** Requests sent in one run; the assertion checks exactly this many were sent and answered. */
const TOTAL_REQUESTS = 10_000;
/** Requests in flight at once. */
const CONCURRENCY = 32;
/** How long a request that runs the engine (POST /v1/preview) may take to answer on a busy machine. */
const ENGINE_ANSWER_MS = 90_000;
/** The body limit the API is built with: small enough that bodies beyond it stay cheap to send. */
const BODY_LIMIT = 256 * 1024;
/** The environment variable holding the webhooks' secret during the run. */
const HOOK_SECRET_ENV = "DP_FUZZ_HOOK_SECRET";
const HOOK_SECRET = "fuzz-hook-secret";
/** The seed of the request generator: `FUZZ_SEED=<n>` replays another run. */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026) >>> 0;

/** mulberry32: a small deterministic PRNG, so a failing run replays from its seed. */
function prng(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
  return { next, int, pick, chance, hex, uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(["8", "9", "a", "b"])}${hex(3)}-${hex(12)}` };
}
type Random = ReturnType<typeof prng>;

/** One generated request, described well enough to replay it by hand. */
interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The route template it was made from, or a label for unknown targets (for the histogram). */
  readonly target: string;
  /** An event stream of a finished deployment must end by itself with its result. */
  readonly streamMustEnd: boolean;
  /** An event stream of an unfinished deployment may send nothing (not even headers) until the deployment moves. */
  readonly streamMayStayOpen: boolean;
}

/** What came back: a status, an outcome without one that is fine, or a transport failure (reset, timeout) that counts as a crash. */
interface FuzzAnswer {
  readonly status: number | null;
  readonly contentType: string;
  readonly body: string;
  /** No status, and rightly so: a stream still waiting, a connection closed on a body over the limit. */
  readonly outcome?: "open stream" | "closed on an oversized body";
  readonly failure?: string;
  /** Whether it was sent again on a fresh connection after its kept-alive one turned out closed. */
  readonly retried?: boolean;
}

/** The ids and tokens the generator draws valid values from. */
interface Fixtures {
  readonly queuedId: string;
  readonly otherProjectId: string;
  readonly finishedId: string;
  readonly tokens: Record<"readA" | "deployA" | "deployB" | "admin" | "revoked", string>;
}

const PROJECT_A = "fuzz-a";
const PROJECT_B = "fuzz-b";

function validRequest(projectId: string, random: Random): Record<string, unknown> {
  return {
    project_id: projectId,
    deployment_type: "static_site",
    tech_stack: ["HTML"],
    target: "local",
    environment: { ENV: "development" },
    source: "site",
    version_name: `v${random.int(1000)}`,
  };
}

const UNICODE = ["ünïcødé", "😀🚀", "\u202etxt.exe", "\u0000", "a\u0000b", "\ud800", "\udfff\ud800", "\u2028\u2029", "ｆｕｌｌ", "\uffff", "é".normalize("NFD")];
const ODD_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", " ", "project_id ", "PROJECT_ID", "a".repeat(300)];

/** A value of some JSON type, often the wrong one. */
function anyValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 2 ? 9 : 11)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE]);
    case 3:
      return random.pick(["", "0", "12", "-1", "1e309", "NaN", "true", "null", "[]", "{}"]);
    case 4:
      return random.pick(UNICODE);
    case 5:
      return "x".repeat(random.pick([65, 129, 4097, 40_000]));
    case 6:
      return random.pick(["../../etc/passwd", "/etc", "site/../../..", "escape", "site\u0000", "~", "."]);
    case 7:
      return random.pick(["development", "production", "local", "static_site", PROJECT_A, PROJECT_B]);
    case 8:
      return random.pick([[], {}, [null], [""], ["HTML", 1]]);
    case 9:
      return Array.from({ length: random.int(4) }, () => anyValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick([...ODD_KEYS, "ENV", "REGION", "memory_mb"]), anyValue(random, depth + 1)]));
  }
}

/** Nested arrays or objects `depth` deep, written directly (a recursive stringify would overflow first). */
function deeplyNested(depth: number, objects: boolean): string {
  return objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

/** A body: a valid request, a mutation of one, something that is not JSON, or nothing. */
function body(random: Random): { text?: string; json: boolean } {
  const roll = random.next();
  if (roll < 0.05) return { text: undefined, json: random.chance(0.5) };
  if (roll < 0.08) return { text: "", json: true };
  if (roll < 0.16) {
    const malformed = ["{", "{not json", "[1,2", '{"a":}', "\u0000", '{"project_id":"fuzz-a",}', "\ufeff{}", "nul", "'single'", '{"a":1}{"b":2}', "1e999999", '"\\ud800"', "{\"a\":\"\\u0000\"}"];
    return { text: random.pick(malformed), json: true };
  }
  if (roll < 0.19) {
    // Bodies around and beyond the limit: the parser must refuse them without holding on to them.
    const size = random.pick([BODY_LIMIT - 200, BODY_LIMIT + 1, BODY_LIMIT * 4]);
    return { text: JSON.stringify({ ...validRequest(PROJECT_A, random), user_id: "u".repeat(Math.max(0, size - 200)) }), json: true };
  }
  if (roll < 0.21) return { text: random.chance(0.5) ? deeplyNested(random.pick([100, 5_000, 50_000]), random.chance(0.5)) : JSON.stringify({ ...validRequest(PROJECT_A, random), env: JSON.parse(deeplyNested(200, true)) }), json: true };
  if (roll < 0.24) return { text: JSON.stringify(random.pick([null, [], 0, "string", true, [validRequest(PROJECT_A, random)]])), json: true };
  if (roll < 0.36) {
    // A valid request but for free text the schema takes as it is, so it travels all the way to storage.
    return { text: JSON.stringify({ ...validRequest(PROJECT_A, random), [random.pick(["user_id", "deployer_id"])]: random.pick(UNICODE) }), json: true };
  }
  if (roll < 0.45) {
    // Webhook payloads: a push of GitHub's shape, a generic hook's, and near misses of both.
    const repository = random.pick(["acme/site", "acme/other", "", anyValue(random)]);
    const branch = random.pick(["main", "refs/heads/main", "release", "", anyValue(random)]);
    return { text: JSON.stringify(random.pick([{ ref: typeof branch === "string" ? `refs/heads/${branch}` : branch, after: random.hex(40), repository: { full_name: repository } }, { repository, branch, commit: random.hex(40) }, { zen: "ping" }])), json: true };
  }
  if (roll < 0.48) return { text: JSON.stringify({ project_id: random.pick([PROJECT_A, PROJECT_B]), target_env: random.pick(["development", "production", "../x"]), deployer_id: anyValue(random), version_name: anyValue(random) }), json: true };

  const request: Record<string, unknown> = validRequest(random.pick([PROJECT_A, PROJECT_A, PROJECT_B, "other"]), random);
  const fields = [...Object.keys(request), "user_id", "domain", "env", "secrets", "resources", "rollout", "public", "ttl_hours", "auto_rollback", "deployer_id", "target_settings"];
  const mutations = roll < 0.55 ? 0 : 1 + random.int(3);
  let text: string | undefined;
  for (let i = 0; i < mutations; i += 1) {
    const field = random.pick(fields);
    switch (random.int(8)) {
      case 0:
        delete request[field];
        break;
      case 1:
        request[field] = anyValue(random);
        break;
      case 2:
        request[random.pick(ODD_KEYS)] = anyValue(random);
        break;
      case 3:
        request[field] = random.pick(UNICODE);
        break;
      case 4:
        // Numbers and booleans as strings, and nulls where objects belong.
        request[field] = random.pick(["1", "true", "null", null]);
        break;
      case 6:
        // Free text the schema accepts as it is, so it travels all the way to storage.
        request[random.pick(["user_id", "deployer_id"])] = random.pick(UNICODE);
        break;
      case 5:
        request.environment = random.pick([{ ENV: "production", REGION: anyValue(random) }, { ENV: anyValue(random) }, { ENV: "development", NAME: anyValue(random), EXTRA: 1 }, "development"]);
        break;
      default:
        // Prototype keys written literally: JSON.stringify would never emit an own `__proto__` of a plain object.
        text = JSON.stringify(request).replace(/^\{/, `{"${random.pick(["__proto__", "constructor"])}":${random.pick(['{"scope":"admin"}', '{"prototype":{"x":1}}', "null", "1"])},`);
    }
  }
  return { text: text ?? JSON.stringify(request), json: true };
}

/** A value for a `{param}`: a valid one for its name, or something hostile. */
function paramValue(name: string, random: Random, fixtures: Fixtures): string {
  const roll = random.next();
  if (roll < 0.45) {
    if (/project/i.test(name)) return random.pick([PROJECT_A, PROJECT_B]);
    if (/id$/i.test(name)) return random.pick([fixtures.queuedId, fixtures.finishedId, fixtures.finishedId, fixtures.otherProjectId]);
    if (/env/i.test(name)) return random.pick(["development", "production"]);
    if (/stack/i.test(name)) return random.pick([`${PROJECT_A}.development`, `${PROJECT_B}.production`]);
    return random.pick([PROJECT_A, "ci", "ci", "development", fixtures.finishedId]);
  }
  if (roll < 0.6) return random.chance(0.8) ? random.uuid() : random.uuid().toUpperCase();
  return random.pick([
    "",
    "not-a-uuid",
    "0",
    "-1",
    "null",
    "undefined",
    "a".repeat(random.pick([64, 300, 2_000, 8_000, 20_000])),
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e",
    "....%2F%2F",
    "%00",
    "%zz",
    "%",
    "%E2%82%AC",
    "%C0%AF",
    "%ff%fe",
    encodeURIComponent("ünï😀"),
    encodeURIComponent("' or 1=1--"),
    encodeURIComponent("$(id)"),
    `${fixtures.finishedId}%00`,
    `${fixtures.finishedId}.json`,
    `${fixtures.finishedId}/`,
    encodeURIComponent(`${fixtures.finishedId}\n`),
  ]);
}

const UNKNOWN_PATHS = ["/", "/v1", "/v1/", "/v2/deployments", "/v1/deployment", "/admin", "/.env", "/v1/deployments/../../etc/passwd", "//v1//deployments", "/v1/deployments/%2e%2e/%2e%2e", "/healthz/", "/HEALTHZ", "/openapi.json/..", "/metrics?x=%zz", "/%", "/%c0%ae%c0%ae/"];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND", "SEARCH", "PURGE"];

function authorization(random: Random, fixtures: Fixtures): string | undefined {
  const t = fixtures.tokens;
  // Half the requests carry a live token, so they get past authentication to the checks behind it.
  if (random.chance(0.5)) return `Bearer ${random.pick([t.readA, t.deployA, t.deployB, t.admin])}`;
  return random.pick([
    undefined,
    undefined,
    "Bearer",
    "Bearer ",
    "Bearer garbage",
    "Basic dXNlcjpwYXNz",
    `bearer ${t.admin}`,
    `Bearer dp_${random.hex(16)}_${"A".repeat(43)}`,
    `Bearer ${t.admin.slice(0, -4)}AAAA`,
    `Bearer ${t.admin} ${t.admin}`,
    `Bearer ${"x".repeat(300)}`,
    `Bearer ${t.revoked}`,
    `Bearer ${t.readA}`,
    `Bearer ${t.readA}`,
    `Bearer ${t.deployA}`,
    `Bearer ${t.deployB}`,
    `Bearer ${t.admin}`,
    `Bearer ${t.admin}`,
  ]);
}

/** One generated request: a target (a listed route, an unknown path or method), headers and maybe a body. */
function generate(random: Random, fixtures: Fixtures): FuzzRequest {
  let method: string;
  let target: string;
  let requestPath: string;
  let streamMustEnd = false;
  let streamMayStayOpen = false;
  const roll = random.next();
  if (roll < 0.85) {
    const route = random.pick(API_ROUTES);
    const [routeMethod, template] = route.split(" ") as [string, string];
    target = route;
    method = random.chance(0.9) ? routeMethod : random.pick(METHODS);
    requestPath = template.replace(/\{([^}]+)\}/g, (_whole, name: string) => paramValue(name, random, fixtures));
    const isEvents = /\/events$/.test(template) && (method === "GET" || method === "HEAD");
    streamMustEnd = isEvents && method === "GET" && requestPath === template.replace("{id}", fixtures.finishedId);
    // With a suffix (a query, a fragment) it may still be the stream of an unfinished deployment.
    streamMayStayOpen = isEvents && [fixtures.queuedId, fixtures.otherProjectId].some((id) => requestPath === template.replace("{id}", id));
    if (random.chance(0.05)) {
      requestPath += random.pick(["/", "/extra", "?", `?x=${encodeURIComponent(JSON.stringify(anyValue(random)) ?? "")}`, "?id=1&id=2", "#frag", "?__proto__[x]=1"]);
      streamMustEnd = false;
    }
  } else if (roll < 0.95) {
    target = "unknown path";
    method = random.pick(METHODS);
    requestPath = random.pick(UNKNOWN_PATHS);
  } else {
    target = "unknown method";
    method = random.pick(["FOO", "PROPPATCH", "MKCOL", "LOCK", "UNLOCK", "REPORT", "MOVE", "COPY", "LINK", "QUERY", "BREW"]);
    requestPath = random.pick(["/healthz", "/v1/deployments", `/v1/deployments/${fixtures.finishedId}`, "/v1/plan"]);
  }

  const headers: Record<string, string> = {};
  const auth = authorization(random, fixtures);
  if (auth !== undefined) headers.authorization = auth;
  // Bodies mostly go with methods that carry one; a GET with a body must be ignored or refused, never crash.
  const withBody = method === "POST" || method === "PUT" || method === "PATCH" || (method !== "HEAD" && random.chance(0.05));
  const generated = withBody ? body(random) : { text: undefined, json: false };
  if (generated.text !== undefined || random.chance(0.1)) {
    headers["content-type"] = generated.json && random.chance(0.85)
      ? random.pick(["application/json", "application/json; charset=utf-8", "Application/JSON"])
      : random.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/json garbage", "application/octet-stream", "application/xml", "*/*", ""]);
  }
  if (random.chance(0.3)) headers["idempotency-key"] = random.pick([random.uuid(), random.uuid(), "", " ", "key with spaces", "k".repeat(201), "k".repeat(200), "\u00e9t\u00e9", "ok-key", "a\tb"]);
  if (random.chance(0.2)) headers["last-event-id"] = random.pick(["0", "1", "-1", "abc", "1e309", "NaN", "99999999999999999999", "9223372036854775808", "0x10", " 3 ", ""]);
  if (random.chance(0.1)) {
    headers[random.pick(["x-hub-signature-256", "x-signature-256", "x-signature", "x-github-delivery", "x-github-event", "x-hook-timestamp", "x-hub-signature"])] = random.pick([
      `sha256=${random.hex(64)}`,
      "sha256=",
      "sha1=abc",
      random.uuid(),
      "push",
      "ping",
      "0",
      String(Date.now()),
      "x".repeat(500),
    ]);
  }
  // Webhooks signed right half the time, so the checks behind the signature (delivery ids, payloads, rules) run too.
  if (/^\/v1\/hooks\//.test(requestPath) && random.chance(0.5)) {
    const timestamp = random.pick([String(Math.floor(Date.now() / 1000)), String(Math.floor(Date.now() / 1000) - 3600), "0", "abc"]);
    const delivery = random.pick([random.uuid(), "replayed-delivery", "", "x".repeat(300)]);
    const signed = requestPath.startsWith("/v1/hooks/github") ? (generated.text ?? "") : `${timestamp}.${delivery}.${generated.text ?? ""}`;
    headers[requestPath.startsWith("/v1/hooks/github") ? "x-hub-signature-256" : "x-signature-256"] = `sha256=${createHmac("sha256", HOOK_SECRET).update(signed).digest("hex")}`;
    headers["x-timestamp"] = timestamp;
    headers["x-github-delivery"] = delivery;
    headers["x-delivery-id"] = delivery;
    headers["x-github-event"] = random.pick(["push", "ping", "Push", "pull_request", ""]);
  }
  if (random.chance(0.03)) headers.accept = random.pick(["text/event-stream", "application/xml", "*/*", "garbage"]);
  return { method, path: requestPath, headers, body: generated.text, target, streamMustEnd, streamMayStayOpen };
}

/**
 * Sends one request; event streams are read to their end when they must end, else dropped once their headers came.
 * A request that meets a kept-alive connection the server has just closed (reset before any answer) is sent once more
 * on a new connection, as HTTP clients do: that race belongs to the previous answer on the connection (the server
 * closes after a malformed request without saying so), and Node does not reliably tell which requests reused one.
 * Sent again on its own connection, a request that is still reset is a failure of its own.
 */
async function send(base: URL, agent: http.Agent, request: FuzzRequest): Promise<FuzzAnswer> {
  const first = await sendOnce(base, agent, request);
  if (first.failure === undefined || first.status !== null || !/ECONNRESET|EPIPE|socket hang up/.test(first.failure)) return first;
  return { ...(await sendOnce(base, false, request)), retried: true };
}

function sendOnce(base: URL, agent: http.Agent | false, request: FuzzRequest): Promise<FuzzAnswer> {
  const oversized = request.body !== undefined && Buffer.byteLength(request.body) > BODY_LIMIT;
  return new Promise((resolve) => {
    let settled = false;
    let status: number | null = null;
    let contentType = "";
    const finish = (answer: FuzzAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    // The length is always declared: without it Node sends a GET's body unframed, which is a broken request of the client's making.
    const headers = request.body === undefined ? request.headers : { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) };
    const outgoing = http.request({ host: base.hostname, port: base.port, method: request.method, path: request.path, headers, agent }, (response) => {
      status = response.statusCode ?? null;
      contentType = String(response.headers["content-type"] ?? "");
      const streaming = contentType.startsWith("text/event-stream");
      // A HEAD answer has no body; an open stream of an unfinished deployment would run until it finishes.
      if (request.method === "HEAD" || (streaming && !request.streamMustEnd)) {
        outgoing.destroy();
        return finish({ status, contentType, body: "" });
      }
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => finish({ status, contentType, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", (error) => finish({ status, contentType, body: Buffer.concat(chunks).toString("utf8"), failure: `response: ${error.message}` }));
    });
    // An engine preview is an engine run (bounded by the route itself); everything else answers within seconds.
    const waitMs = request.streamMayStayOpen ? 2_000 : request.target === "POST /v1/preview" ? ENGINE_ANSWER_MS : 15_000;
    const timer = setTimeout(() => {
      outgoing.destroy();
      if (request.streamMayStayOpen && status === null) finish({ status: null, contentType: "", body: "", outcome: "open stream" });
      else finish({ status, contentType, body: "", failure: `no complete answer within ${waitMs / 1000} s` });
    }, waitMs);
    outgoing.on("error", (error) => {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      // A server may stop reading a body over its limit and close the connection before the client has sent it all.
      if (oversized && status === null && /ECONNRESET|EPIPE/.test(code)) return finish({ status: null, contentType: "", body: "", outcome: "closed on an oversized body" });
      finish({ status, contentType, body: "", failure: `request: ${code}${agent === false ? " (on a new connection)" : ""}` });
    });
    if (request.body !== undefined) outgoing.end(request.body);
    else outgoing.end();
  });
}

/** The request as a reproduction line, its body cut short and no token value in it. */
function describeRequest(request: FuzzRequest, tokens: Fixtures["tokens"]): string {
  let headers = JSON.stringify(request.headers);
  for (const [name, value] of Object.entries(tokens)) headers = headers.split(value).join(`<${name} token>`);
  // What is left of a token (a forged one built from a live one) shows its public id only.
  headers = headers.replace(/dp_([0-9a-f]{16})_[A-Za-z0-9_-]+/g, "dp_$1_<secret>");
  const shownBody = request.body === undefined ? "(none)" : request.body.length > 300 ? `${JSON.stringify(request.body.slice(0, 300))}… (${request.body.length} chars)` : JSON.stringify(request.body);
  return `${request.method} ${request.path.length > 200 ? `${request.path.slice(0, 200)}… (${request.path.length} chars)` : request.path} headers=${headers} body=${shownBody}`;
}

/** What is wrong with an answer, or null: no 5xx, no transport failure, 4xx in the brief's error shape. */
function problemWith(request: FuzzRequest, answer: FuzzAnswer): string | null {
  if (answer.failure !== undefined) return answer.failure;
  if (answer.outcome !== undefined) return null;
  if (answer.status === null) return "no status";
  if (answer.status >= 500) return `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (request.streamMustEnd && answer.status === 200 && answer.contentType.startsWith("text/event-stream") && !/event: result\ndata: /.test(answer.body)) {
    return "the event stream of a finished deployment ended without its result";
  }
  if (answer.status >= 400 && request.method !== "HEAD") {
    if (!answer.contentType.startsWith("application/json")) return `HTTP ${answer.status} with content type '${answer.contentType}': ${answer.body.slice(0, 200)}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body);
    } catch {
      return `HTTP ${answer.status} body is not JSON: ${answer.body.slice(0, 200)}`;
    }
    const error = parsed as Record<string, unknown>;
    if (error?.status !== "error" || typeof error.reason !== "string" || typeof error.stage !== "string" || typeof error.fix_suggestion !== "string") {
      return `HTTP ${answer.status} not in the error shape: ${answer.body.slice(0, 200)}`;
    }
  }
  return null;
}

/** Generated requests against the whole API on a real socket: nothing a caller sends may crash it or answer 5xx. */
describe("the HTTP API under generated requests", () => {
  let root = "";
  let database: ServiceDatabase;
  let queue: JobQueue;
  let app: FastifyInstance;
  let base: URL;
  let fixtures: Fixtures;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-fuzz-"));
    const sourceRoot = path.join(root, "sources");
    await mkdir(path.join(sourceRoot, "site"), { recursive: true });
    await writeFile(path.join(sourceRoot, "site", "index.html"), "<h1>fuzz</h1>");
    // A workspace as 'serve' gives the API, so the stack routes answer from it (it holds no stacks) rather than 503.
    const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE, PULUMI_HOME: path.join(root, "pulumi-home") };
    const workspaceDir = path.join(root, "workspace");
    const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain: await ensurePulumi({ env, skipInstaller: true }), backendUrl: `file://${path.join(workspaceDir, ".pulumi-state")}` });
    database = await openTestDatabase(workspace.dataDir);
    // Webhooks as an operator configures them: GitHub and one generic hook, each with a rule that queues the site.
    process.env[HOOK_SECRET_ENV] = HOOK_SECRET;
    const configFile = path.join(root, "service.yaml");
    await writeFile(path.join(root, "site.json"), JSON.stringify({ ...validRequest(PROJECT_A, prng(2)), source: path.join(sourceRoot, "site") }));
    await writeFile(
      configFile,
      [
        "hooks:",
        `  github: { secret: "env:${HOOK_SECRET_ENV}" }`,
        `  generic: [{ name: ci, secret: "env:${HOOK_SECRET_ENV}" }]`,
        "  rules:",
        "    - { source: github, repository: acme/site, branch: main, request: site.json }",
        "    - { source: ci, repository: acme/site, branch: main, request: site.json }",
      ].join("\n"),
    );
    const config = await loadServiceConfig(configFile);
    if ("status" in config) throw new Error(config.reason);
    // A real queue, so deployments are accepted; no worker runs them.
    queue = await openJobQueue(database);
    app = await buildApi({ database, queue, workspace, config, sourceRoots: [sourceRoot], bodyLimitBytes: BODY_LIMIT, rateLimit: { max: 1_000_000, windowMs: 60_000 }, version: "fuzz" });
    base = new URL(await app.listen({ host: "127.0.0.1", port: 0 }));

    const pool = database.pool;
    const tokens = {
      readA: (await createToken(pool, [PROJECT_A], "read")).token,
      deployA: (await createToken(pool, [PROJECT_A], "deploy")).token,
      deployB: (await createToken(pool, [PROJECT_B], "deploy")).token,
      admin: (await createToken(pool, ["*"], "admin")).token,
      revoked: (await createToken(pool, ["*"], "admin")).token,
    };
    await revokeToken(pool, tokens.revoked.split("_")[1]!);
    const queueOne = async (projectId: string) => {
      const response = await fetch(new URL("/v1/deployments", base), {
        method: "POST",
        headers: { authorization: `Bearer ${tokens.admin}`, "content-type": "application/json" },
        body: JSON.stringify(validRequest(projectId, prng(1))),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    };
    const finishedId = await queueOne(PROJECT_A);
    // Finished without a worker, so its event stream replays a line and its result, then ends.
    await pool.query(`insert into ${SERVICE_SCHEMA}.deployment_events (deployment_id, line) values ($1, 'deploying fuzz-a.development')`, [finishedId]);
    await pool.query(`update ${SERVICE_SCHEMA}.deployments set status = 'succeeded', result = $2, started_at = now(), finished_at = now() where id = $1`, [
      finishedId,
      JSON.stringify({ status: "success", deployed_to: "local", stack: `${PROJECT_A}.development` }),
    ]);
    fixtures = { queuedId: await queueOne(PROJECT_A), otherProjectId: await queueOne(PROJECT_B), finishedId, tokens };
  }, 180_000);

  afterAll(async () => {
    delete process.env[HOOK_SECRET_ENV];
    await app?.close();
    await queue?.stop({ graceful: false, wait: true, timeout: 10_000 }).catch(() => undefined);
    await closeTestDatabase(database);
    if (root) await rm(root, { recursive: true, force: true });
  }, 120_000);

  it(`answers ${TOTAL_REQUESTS} generated requests without a crash or a 5xx, every 4xx in the brief's error shape`, async () => {
    console.log(`API fuzz: seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${TOTAL_REQUESTS} requests, ${CONCURRENCY} at a time, routes: ${API_ROUTES.join(", ")}`);
    const random = prng(SEED);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const statuses = new Map<string, number>();
    const byTarget = new Map<string, Map<string, number>>();
    // Grouped by what went wrong, each kind with its count and first request, so one cause reads as one line.
    const problems = new Map<string, { count: number; example: string }>();
    let sent = 0;
    let answered = 0;
    let retried = 0;
    const started = performance.now();

    const client = async () => {
      while (sent < TOTAL_REQUESTS) {
        // Generated in send order, so the sequence depends on the seed only.
        const request = generate(random, fixtures);
        sent += 1;
        const answer = await send(base, agent, request);
        answered += 1;
        if (answer.retried) retried += 1;
        const key = answer.outcome ?? (answer.status === null ? "no answer" : String(answer.status));
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        const perTarget = byTarget.get(request.target) ?? new Map<string, number>();
        perTarget.set(key, (perTarget.get(key) ?? 0) + 1);
        byTarget.set(request.target, perTarget);
        const problem = problemWith(request, answer);
        if (problem !== null) {
          const kind = `${problem.replace(/'[^']*'/g, "'…'").slice(0, 90)}`;
          const known = problems.get(kind);
          if (known) known.count += 1;
          else problems.set(kind, { count: 1, example: `${problem.slice(0, 300)}\n      ${describeRequest(request, fixtures.tokens)}` });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    agent.destroy();

    const seconds = (performance.now() - started) / 1000;
    const histogram = [...statuses.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status}: ${count}`).join(", ");
    console.log(`API fuzz: ${sent} sent, ${answered} answered in ${seconds.toFixed(1)} s (${retried} sent again after meeting a closed kept-alive connection); status histogram: ${histogram}`);
    for (const [target, counts] of [...byTarget.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`  ${target.padEnd(36)} ${[...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status}: ${count}`).join(", ")}`);
    }
    const kinds = [...problems.values()].map(({ count, example }) => `${count} × ${example}`);
    if (kinds.length > 0) console.log(`API fuzz: ${kinds.length} kind(s) of problem:\n  ${kinds.join("\n  ")}`);

    const health = await fetch(new URL("/healthz", base));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(new URL("/readyz", base))).status).toBe(200);
    expect(sent).toBe(TOTAL_REQUESTS);
    expect(answered).toBe(TOTAL_REQUESTS);
    expect(kinds).toEqual([]);
    expect([...statuses.keys()].filter((status) => status === "no answer" || Number(status) >= 500)).toEqual([]);
  }, 150_000 + ENGINE_ANSWER_MS);
});
