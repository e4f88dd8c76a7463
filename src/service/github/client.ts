import type { Octokit } from "@octokit/rest";
import { failure, type FailureResult, type FailureStage } from "../../outcome";
import { importEsm } from "../esm";

/** How the service signs in to GitHub: a token (personal or fine-grained), or a GitHub App's installation. */
export type GitHubAuth = { readonly token: string } | { readonly appId: string; readonly privateKey: string; readonly installationId: number };

/** How calls that GitHub answers with a transient failure are tried again. */
export interface GitHubRetrySettings {
  /** Further attempts after the first, for 5xx answers and rate limits alike. @default 3 */
  readonly retries?: number;
  /** Unit of the back-off between attempts after a 5xx answer: 1, 4, 9 times it. @default 1000 ms */
  readonly backoffMs?: number;
  /**
   * The longest one call may spend waiting between its attempts, in all. A rate limit that resets later than this is
   * not waited for: the call fails at once with the reset time in its reason. @default 60 000 ms
   */
  readonly maxWaitMs?: number;
  /** How long one attempt may take before it counts as a failed attempt. @default 30 000 ms */
  readonly attemptTimeoutMs?: number;
}

/** Where and how the service talks to GitHub. */
export interface GitHubClientSettings {
  /** The REST API's root: `https://api.github.com`, or a GitHub Enterprise Server's `https://<host>/api/v3`. */
  readonly apiUrl: string;
  readonly auth: GitHubAuth;
  /** @default "deployment-planner" */
  readonly userAgent?: string;
  readonly retry?: GitHubRetrySettings;
  /** Receives one line per call that failed for good or was retried; default a JSON line on stderr. Never a credential. */
  readonly warn?: (message: string) => void;
}

/** What a call to GitHub came to: its value, or a failure result saying what GitHub answered and what to change. */
export type GitHubOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      /** GitHub's HTTP status, or null when no answer arrived (the network, a timeout). */
      readonly status: number | null;
      readonly failure: FailureResult;
    };

/**
 * The service's connection to GitHub's REST API. Every call goes through `call`, which retries transient failures as
 * the settings say and turns whatever is left into an outcome, so nothing GitHub does throws into a deployment.
 */
export interface GitHubClient {
  /** The REST API's root, as configured. */
  readonly apiUrl: string;
  /**
   * Runs one request (with its retries) through the octokit instance. `what` names the call in warnings and failure
   * reasons ("fetching acme/shop@1a2b3c4"); `stage` is the failure's stage (default `env_setup`).
   */
  call<T>(what: string, run: (octokit: Octokit) => Promise<T>, stage?: FailureStage): Promise<GitHubOutcome<T>>;
}

const DEFAULTS = { retries: 3, backoffMs: 1000, maxWaitMs: 60_000, attemptTimeoutMs: 30_000 } as const;

/** Statuses plugin-retry leaves alone: client errors, and 429, whose waits the throttling plugin takes from its headers. */
const NOT_RETRIED = [400, 401, 403, 404, 409, 410, 422, 429, 451];

type OctokitClass = typeof Octokit;
type Plugin = Parameters<OctokitClass["plugin"]>[0];

interface RequestErrorLike {
  readonly status?: number;
  readonly message?: string;
  readonly response?: { readonly headers?: Record<string, string | number | undefined> };
}

/**
 * Builds the client: `@octokit/rest` with `@octokit/plugin-retry` (5xx answers, with a growing back-off, and the
 * longer `Retry-After` where GitHub sends one) and `@octokit/plugin-throttling` (403/429 rate limits, waiting for
 * `X-RateLimit-Reset` or `Retry-After`, and GitHub's pacing of writes), signed in with a token or, through
 * `@octokit/auth-app`, as a GitHub App's installation. The packages are loaded on the first call, so a service
 * without GitHub configured never needs them.
 */
export function createGitHubClient(settings: GitHubClientSettings): GitHubClient {
  const retry = { ...DEFAULTS, ...settings.retry };
  const warn = settings.warn ?? ((message: string) => process.stderr.write(`${JSON.stringify({ level: "warn", component: "github", msg: message })}\n`));
  let octokit: Promise<Octokit> | undefined;
  const instance = () => (octokit ??= buildOctokit(settings, retry, warn));
  return {
    apiUrl: settings.apiUrl,
    async call<T>(what: string, run: (octokit: Octokit) => Promise<T>, stage: FailureStage = "env_setup"): Promise<GitHubOutcome<T>> {
      try {
        return { ok: true, value: await run(await instance()) };
      } catch (error) {
        // Octokit gives a network failure or a timeout status 500 without an answer: reported as no answer.
        const status = (error as RequestErrorLike).response && typeof (error as RequestErrorLike).status === "number" ? (error as RequestErrorLike).status! : null;
        const reason = `${what} failed at GitHub: ${describeError(error, status)}`;
        warn(reason);
        return { ok: false, status, failure: failure(stage, reason, fixFor(status, settings.apiUrl)) };
      }
    },
  };
}

async function buildOctokit(settings: GitHubClientSettings, retry: Required<GitHubRetrySettings>, warn: (message: string) => void): Promise<Octokit> {
  const [{ Octokit }, { retry: retryPlugin }, { throttling }] = await Promise.all([
    importEsm<{ Octokit: OctokitClass }>("@octokit/rest"),
    importEsm<{ retry: Plugin }>("@octokit/plugin-retry"),
    importEsm<{ throttling: Plugin }>("@octokit/plugin-throttling"),
  ]);
  const auth =
    "token" in settings.auth
      ? { auth: settings.auth.token }
      : {
          authStrategy: (await importEsm<{ createAppAuth: unknown }>("@octokit/auth-app")).createAppAuth,
          auth: { appId: settings.auth.appId, privateKey: settings.auth.privateKey, installationId: settings.auth.installationId },
        };
  // Rate-limit waits count against the same budget as the back-off, per request.
  const waitBudget = new WeakMap<object, number>();
  const mayWait = (seconds: number, options: object, retryCount: number, kind: string): boolean => {
    const spent = waitBudget.get(options) ?? 0;
    const wait = seconds * 1000;
    const allowed = retryCount < retry.retries && spent + wait <= retry.maxWaitMs;
    const { method, url } = options as { method?: string; url?: string };
    warn(allowed ? `GitHub ${kind} on ${method} ${url}: trying again in ${seconds} s` : `GitHub ${kind} on ${method} ${url}: not waiting ${seconds} s more (attempt ${retryCount + 1} of ${retry.retries + 1}, ${Math.round(spent / 1000)} s waited)`);
    if (allowed) waitBudget.set(options, spent + wait);
    return allowed;
  };
  const Client = Octokit.plugin(honourRetryAfter(retry, warn), retryPlugin, throttling);
  return new Client({
    ...auth,
    baseUrl: settings.apiUrl.replace(/\/+$/, ""),
    userAgent: settings.userAgent ?? "deployment-planner",
    log: { debug: () => {}, info: () => {}, warn: (message: string) => warn(message), error: (message: string) => warn(message) },
    request: { fetch: fetchWithTimeout(retry.attemptTimeoutMs) },
    retry: { retries: retry.retries, doNotRetry: NOT_RETRIED, retryAfterBaseValue: retry.backoffMs },
    throttle: {
      onRateLimit: (seconds: number, options: object, _octokit: unknown, retryCount: number) => mayWait(seconds, options, retryCount, "rate limit"),
      onSecondaryRateLimit: (seconds: number, options: object, _octokit: unknown, retryCount: number) => mayWait(seconds, options, retryCount, "secondary rate limit"),
    },
  } as ConstructorParameters<OctokitClass>[0]);
}

/**
 * plugin-retry waits 1, 4, 9 back-off units between attempts whatever the answer said; a 5xx answer with
 * `Retry-After` (GitHub Enterprise in maintenance, a proxy) is held back here, closest to the request, until the
 * longer of the two has passed — unless no attempt follows or the wait would exceed the budget.
 */
function honourRetryAfter(retry: Required<GitHubRetrySettings>, warn: (message: string) => void): Plugin {
  return ((octokit: { hook: { wrap: (name: string, hook: (request: (options: unknown) => Promise<unknown>, options: RequestOptions) => Promise<unknown>) => void } }) => {
    octokit.hook.wrap("request", async (request, options) => {
      try {
        return await request(options);
      } catch (error) {
        const status = (error as RequestErrorLike).status ?? 0;
        const retryAfter = retryAfterSeconds((error as RequestErrorLike).response?.headers?.["retry-after"]);
        const attempt = options.request?.retryCount ?? 0;
        if (status >= 500 && retryAfter !== null && attempt < retry.retries) {
          const backoff = (attempt + 1) ** 2 * retry.backoffMs;
          const extra = Math.min(retryAfter * 1000, retry.maxWaitMs) - backoff;
          if (extra > 0) {
            warn(`GitHub answered ${status} with Retry-After ${retryAfter} s on ${options.method} ${options.url}`);
            await new Promise((resolve) => setTimeout(resolve, extra));
          }
        }
        throw error;
      }
    });
    return {};
  }) as unknown as Plugin;
}

interface RequestOptions {
  readonly method?: string;
  readonly url?: string;
  readonly request?: { readonly retryCount?: number };
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(value: string | number | undefined): number | null {
  if (value === undefined || value === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(String(value));
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * fetch with a time limit on each attempt, so a GitHub that never answers costs one attempt, not the call. A request
 * that brings its own signal (an archive download, whose body takes longer than an API answer) keeps its own limit.
 */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
}

function describeError(error: unknown, status: number | null): string {
  const message = error instanceof Error ? error.message : String(error);
  // Octokit's message can carry the whole answer body; one line is enough and keeps logs readable.
  const line = message.split("\n")[0]!.slice(0, 300);
  return status === null ? `no answer (${line})` : `${status} ${line}`;
}

function fixFor(status: number | null, apiUrl: string): string {
  if (status === 401) return "Check the GitHub credentials in the service configuration (hooks.github.token or hooks.github.app): GitHub does not accept them.";
  if (status === 403) return "Give the token or the GitHub App access to the repository (contents: read, pull requests and issues: write, commit statuses: write), or wait for the rate limit to reset.";
  if (status === 404) return "Check that the repository and commit exist and that the token or GitHub App can see the repository.";
  if (status === null) return `Check that the service can reach ${apiUrl} (hooks.github.api_url).`;
  return "GitHub failed to answer; the service retried with back-off. Try again later, or check https://www.githubstatus.com.";
}
