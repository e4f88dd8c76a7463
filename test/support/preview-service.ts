import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadServiceConfig } from "../../src/service/config";
import { createToken } from "../../src/service/tokens";
import { startWorker } from "../../src/service/worker";
import { startFakeGitHub, type FakeGitHub } from "../fakes/github-api";
import { startServiceHarness, type ServiceHarness } from "./service";

/** A dependency-free app for previews: answers its directory's message.txt (`/healthz`: ok). */
export const MESSAGE_SERVER = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); res.end("ok\\n"); return; }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(fs.readFileSync(path.join(__dirname, "message.txt"), "utf8"));
}).listen(Number(process.env.PORT || 3000), process.env.HOST || "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

/**
 * A dependency-free app for previews whose request sets the secret API_TOKEN: answers its message.txt and whether
 * API_TOKEN reached it (never its value).
 */
export const TOKEN_REPORTING_SERVER = `"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); res.end("ok\\n"); return; }
  const message = fs.readFileSync(path.join(__dirname, "message.txt"), "utf8").trim();
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(message + "\\napi_token_set=" + String((process.env.API_TOKEN || "") !== "") + "\\n");
}).listen(Number(process.env.PORT || 3000), process.env.HOST || "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

/** The `package.json` of a preview app that starts `server.js`. */
export const PREVIEW_APP_PACKAGE = JSON.stringify({ name: "preview-app", version: "1.0.0", private: true, scripts: { start: "node server.js" } });

/** What the service's configuration is written from: the hook's secret reference and, with GitHub, the fake's URL. */
export interface PreviewConfigContext {
  /** `env:<NAME>` of the hook's secret (the generic hook `relay`'s, or GitHub's). */
  readonly hookSecretRef: string;
  /** The fake GitHub, when asked for. */
  readonly github: FakeGitHub | null;
}

/** How `startPreviewService` lays out the service. */
export interface PreviewServiceOptions {
  /** The temp directory's prefix, e.g. `dp-previews-`. */
  readonly prefix: string;
  /** Starts a FAKE of GitHub's REST API (GitHub cannot be reached from tests) that accepts `githubToken`. */
  readonly githubToken?: string;
  /** Variables set in this process while the service runs (the secrets its configuration names), removed on stop. */
  readonly env?: Readonly<Record<string, string>>;
  /** Writes the sources and request files under `root`; returns the config directory and the source root. */
  prepare(root: string): Promise<{ readonly configDir: string; readonly sourceRoot: string }>;
  /** The lines of `service.yaml` (written to the config directory). */
  config(context: PreviewConfigContext): readonly string[];
}

/** A hook's answer: its status and its JSON body. */
export interface HookAnswer {
  readonly status: number;
  readonly body: { status: string; message: string; deployments: string[] };
}

/** A preview's row as the service keeps it. */
export interface PreviewRow {
  readonly state: string;
  readonly head_sha: string;
  readonly url: string | null;
  readonly deployment_id: string;
  readonly failure: string | null;
  readonly destroy_attempts: number;
}

/** The deployment service in this process, configured for pull-request previews, with a read token and its hooks. */
export interface PreviewService {
  readonly root: string;
  readonly service: ServiceHarness;
  /** The fake GitHub, when `githubToken` was given. */
  readonly github: FakeGitHub | null;
  /** A read token of every project. */
  readonly readToken: string;
  /** Every answer the service gave the helpers below, to check that no secret's value reached one. */
  readonly answers: string[];
  /** Delivers a generic hook `relay`'s pull request, signed with the hook's secret. */
  relayPullRequest(repository: string, number: number, action: string, headCommit: string, fork?: boolean): Promise<HookAnswer>;
  /** Delivers a GitHub event, signed as GitHub signs it. */
  githubEvent(event: string, payload: unknown): Promise<HookAnswer>;
  /** A deployment's record from the API. */
  deployment(id: string): Promise<Record<string, unknown>>;
  /** Polls a deployment (bounded) until it succeeded, failed or was superseded. */
  finished(id: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The preview's row, or undefined. */
  previewRow(stack: string): Promise<PreviewRow | undefined>;
  /** Polls (bounded) until the preview is in `state`. */
  waitForState(stack: string, state: string, timeoutMs?: number): Promise<PreviewRow>;
  /** Stops the worker, the fake GitHub and the service (destroying `stacks`), and removes the variables it set. */
  stop(stacks: readonly string[]): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether nothing listens at `url` any more: the connection is refused (a destroyed preview's URL). */
export async function refusesConnections(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return false;
  } catch (error) {
    return /ECONNREFUSED/.test(String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message));
  }
}

/**
 * Starts the service (real embedded PostgreSQL, the worker deploying on the local target) with the configuration
 * `options.config` writes, a hook secret of its own in `DP_PREVIEW_HOOK_<pid>_<n>`, and a read token.
 */
export async function startPreviewService(options: PreviewServiceOptions): Promise<PreviewService> {
  const hookSecret = randomBytes(24).toString("hex");
  const hookSecretEnv = `DP_PREVIEW_HOOK_${process.pid}_${randomBytes(4).toString("hex").toUpperCase()}`;
  const env = { ...options.env, [hookSecretEnv]: hookSecret };
  for (const [name, value] of Object.entries(env)) process.env[name] = value;
  const github = options.githubToken === undefined ? null : await startFakeGitHub({ token: options.githubToken });
  const root = await mkdtemp(path.join(os.tmpdir(), options.prefix));
  const { configDir, sourceRoot } = await options.prepare(root);
  const configFile = path.join(configDir, "service.yaml");
  await writeFile(configFile, options.config({ hookSecretRef: `env:${hookSecretEnv}`, github }).join("\n"));
  const config = await loadServiceConfig(configFile);
  if ("status" in config) throw new Error(config.reason);
  const service = await startServiceHarness(root, sourceRoot, { config }, { worker: false });
  const worker = await startWorker({ database: service.database, queue: service.queue, workspace: service.workspace, baseDir: sourceRoot, concurrency: 2, config });
  const readToken = (await createToken(service.database.pool, ["*"], "read")).token;
  const answers: string[] = [];

  const post = async (route: string, headers: Record<string, string>, body: string): Promise<HookAnswer> => {
    const response = await fetch(`${service.base}${route}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body, signal: AbortSignal.timeout(120_000) });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as HookAnswer["body"] };
  };
  const deployment = async (id: string) => {
    const response = await fetch(`${service.base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${readToken}` } });
    const text = await response.text();
    answers.push(text);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const previewRow = async (stack: string) => {
    const rows = await service.database.pool.query("select * from deployment_planner.previews where stack = $1", [stack]);
    return rows.rows[0] as PreviewRow | undefined;
  };
  return {
    root,
    service,
    github,
    readToken,
    answers,
    relayPullRequest(repository, number, action, headCommit, fork = false) {
      const body = JSON.stringify({ repository, number, head_commit: headCommit, action, fork });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const delivery = randomUUID();
      const signature = `sha256=${createHmac("sha256", hookSecret).update(`${timestamp}.${delivery}.`).update(body).digest("hex")}`;
      return post("/v1/hooks/generic/relay", { "x-timestamp": timestamp, "x-delivery-id": delivery, "x-signature-256": signature }, body);
    },
    githubEvent(event, payload) {
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac("sha256", hookSecret).update(body).digest("hex")}`;
      return post("/v1/hooks/github", { "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": signature }, body);
    },
    deployment,
    async finished(id, timeoutMs = 300_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await deployment(id);
        if (["succeeded", "failed", "superseded"].includes(String(answer.status))) return answer;
        if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
        await sleep(300);
      }
    },
    previewRow,
    async waitForState(stack, state, timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = await previewRow(stack);
        if (row?.state === state) return row;
        if (Date.now() > deadline) throw new Error(`preview ${stack} is ${row?.state ?? "unrecorded"}, not ${state}, after ${timeoutMs} ms`);
        await sleep(300);
      }
    },
    async stop(stacks) {
      await worker.stop();
      await service.stop(stacks);
      await github?.close();
      for (const name of Object.keys(env)) delete process.env[name];
    },
  };
}
