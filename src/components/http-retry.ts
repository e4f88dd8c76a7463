import { HttpApiError } from "./http-api-error";

/**
 * What repeating a request could do, which decides when it may be sent again.
 * - `read`: GET or a GraphQL query; repeating changes nothing.
 * - `update`: PATCH/PUT (or an upsert) of absolute values; repeating sets the same values again.
 * - `delete`: repeating finds the thing gone; the client treats that 404 as done.
 * - `create`: repeating could make a second one; made safe by `createOnce`, which looks before it creates again.
 * - `append`: repeating would add a second entry (a deploy) and nothing can tell the two apart.
 *
 * `read`, `update` and `delete` are retried after a 429, a 5xx, a timeout or a network failure. `create` and `append`
 * are retried only when the request provably was not acted on: a 429, or a connection that was never made; after a
 * 5xx or a timeout they fail at once with `outcomeUnknown` set.
 */
export type RequestKind = "read" | "update" | "delete" | "create" | "append";

/** How often and how long an API call may be tried. */
export interface RetryOptions {
  /** Attempts in all for one request. @default 4 */
  readonly attempts?: number;
  /** Longest backoff between attempts when the API does not say how long to wait. @default 5000 ms */
  readonly maxDelayMs?: number;
  /** Longest Retry-After honoured; an API asking for a longer wait fails the call instead. @default 60000 ms */
  readonly maxRetryAfterMs?: number;
  /** Time allowed for one attempt. @default 30000 ms */
  readonly timeoutMs?: number;
}

/** The API a client calls, and the credential it calls it with. */
export interface HttpApiTarget extends RetryOptions {
  /** The service's name in messages: `Netlify`. */
  readonly api: string;
  /** Bearer token; never appears in an error message. */
  readonly token: string;
  /** Environment variable that holds the token, named when the API rejects it. */
  readonly tokenVariable: string;
  /** Header that carries the token as it is (Railway's `project-access-token`). @default `Authorization: Bearer <token>` */
  readonly tokenHeader?: string;
}

/** One request to an HTTP API. */
export interface HttpApiRequest {
  /** What the request does, in the API's terms, for messages. */
  readonly operation: string;
  readonly kind: RequestKind;
  readonly url: string;
  readonly method: string;
  readonly body?: string | Buffer;
  /** @default `application/json` when there is a body */
  readonly contentType?: string;
  /** Values sent in the body that must not appear in an error message (variable values). */
  readonly secrets?: readonly string[];
}

// Connection failures in which the request never reached the server, so sending it again cannot repeat anything.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Sends a request under the retry policy of its `kind` and returns the successful (2xx) response. Any other outcome
 * throws an `HttpApiError`: at once for a 4xx other than 429, after the last allowed attempt otherwise.
 */
export async function callHttpApi(target: HttpApiTarget, request: HttpApiRequest): Promise<Response> {
  const attempts = Math.max(1, target.attempts ?? 4);
  const timeoutMs = target.timeoutMs ?? 30_000;
  const repeatable = request.kind === "read" || request.kind === "update" || request.kind === "delete";
  const fail = (status: number, detail: string, outcomeUnknown: boolean) =>
    new HttpApiError({
      api: target.api,
      operation: request.operation,
      status,
      detail,
      outcomeUnknown,
      tokenVariable: target.tokenVariable,
      secrets: [target.token, ...(request.secrets ?? [])],
    });
  const headers: Record<string, string> = target.tokenHeader ? { [target.tokenHeader]: target.token } : { authorization: `Bearer ${target.token}` };
  if (request.body !== undefined) headers["content-type"] = request.contentType ?? "application/json";

  for (let attempt = 1; ; attempt += 1) {
    let failure: HttpApiError;
    let retryAfterMs: number | null = null;
    try {
      const response = await fetch(request.url, { method: request.method, headers, body: request.body, signal: AbortSignal.timeout(timeoutMs) });
      if (response.ok) return response;
      const detail = await readDetail(response);
      if (response.status !== 429 && response.status < 500) throw fail(response.status, detail, false);
      // A 429 was refused before any work was done; a 5xx may have come after the work.
      failure = fail(response.status, detail, response.status !== 429);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    } catch (error) {
      if (error instanceof HttpApiError) throw error;
      const err = error as Error & { cause?: { code?: string } };
      const notSent = NOT_SENT.has(err.cause?.code ?? "");
      const detail = err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `the connection failed (${err.cause?.code ?? err.message})`;
      failure = fail(0, detail, !notSent);
    }
    if (attempt >= attempts || (failure.outcomeUnknown && !repeatable)) throw failure;
    const maxRetryAfterMs = target.maxRetryAfterMs ?? 60_000;
    // Waiting less than the API asked only earns another 429; a wait beyond the bound is better reported than slept.
    if (retryAfterMs !== null && retryAfterMs > maxRetryAfterMs) throw failure;
    await sleep(retryAfterMs ?? backoff(attempt, target.maxDelayMs));
  }
}

/** Options of `createOnce`. */
export interface CreateOnceOptions<T> {
  /** Sends the create request (kind `create`). */
  readonly create: () => Promise<T>;
  /**
   * Finds the thing this very create would have made, by a name or marker that nothing else carries, or null.
   * Called only after a create whose outcome is unknown.
   */
  readonly find: () => Promise<T | null>;
  /** Create requests in all. @default 3 */
  readonly attempts?: number;
  /** Longest backoff between creates. @default 5000 ms */
  readonly maxDelayMs?: number;
}

/**
 * Creates something through an API that has no idempotency key, without ever making two: when a create fails in a
 * way that may have created it anyway (a 5xx, a timeout), it looks the thing up and adopts it if it is there, and
 * only otherwise creates again. After the last failed attempt it looks once more, so nothing is left orphaned.
 */
export async function createOnce<T>(options: CreateOnceOptions<T>): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await options.create();
    } catch (error) {
      if (!(error instanceof HttpApiError && error.outcomeUnknown)) throw error;
      const found = await options.find();
      if (found) return found;
      if (attempt >= attempts) throw error;
    }
    await sleep(backoff(attempt, options.maxDelayMs));
  }
}

/** The API's explanation from an error body: its `message`, its GraphQL `errors`, or the start of the text. */
async function readDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: { message?: unknown }[] };
    if (typeof body.message === "string") return body.message.slice(0, 200);
    const messages = Array.isArray(body.errors) ? body.errors.map((e) => e?.message).filter((m) => typeof m === "string") : [];
    if (messages.length > 0) return messages.join("; ").slice(0, 200);
  } catch {
    // Not JSON: the text itself is the best explanation there is.
  }
  return text.slice(0, 200);
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function backoff(attempt: number, maxDelayMs = 5000): number {
  return Math.min(200 * 2 ** (attempt - 1), maxDelayMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
