/**
 * The dashboard's only way to the service: same-origin calls to the public API with the session cookie, the session's
 * CSRF token on every state-changing request, JSON in and out. Anything the dashboard shows a script can fetch too.
 */

/** The failure object the API answers with on a non-2xx status (see the API's failure results). */
export interface FailureBody {
  readonly status?: string;
  readonly stage: string;
  readonly reason: string;
  readonly fix_suggestion?: string;
  readonly problems?: readonly string[];
  readonly [extra: string]: unknown;
}

/** Thrown by `api` when the service answers with a non-2xx status. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly failure: FailureBody;

  constructor(status: number, failure: FailureBody) {
    super(failure.reason);
    this.name = "ApiFailure";
    this.status = status;
    this.failure = failure;
  }
}

/** HTTP methods the dashboard uses. */
export type ApiMethod = "GET" | "POST" | "DELETE";

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Sets the CSRF token sent with every non-GET request (the session module calls this when the session changes). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Registers what happens when the service says the session is gone (401): the session module signs the person out. */
export function onSessionLost(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Turns any answer body into a failure object, so a proxy's HTML error page still reads as a sentence. */
function failureFrom(status: number, body: unknown): FailureBody {
  if (typeof body === "object" && body !== null && typeof (body as { reason?: unknown }).reason === "string") {
    const candidate = body as { stage?: unknown };
    return { ...(body as FailureBody), stage: typeof candidate.stage === "string" ? candidate.stage : "internal" };
  }
  return {
    stage: status >= 500 ? "internal" : "access",
    reason: `the service answered ${status} without an explanation`,
    fix_suggestion: "Try again; if it keeps happening, check the service's log.",
  };
}

/**
 * Calls the public API. Resolves with the parsed JSON answer (undefined for 204); throws `ApiFailure` on a non-2xx
 * answer and when the service cannot be reached (status 0).
 */
export async function api<T>(method: ApiMethod, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, {
      stage: "internal",
      reason: "the service could not be reached",
      fix_suggestion: "Check that the service is running and your network connection works, then try again.",
    });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && onUnauthenticated !== null && !path.startsWith("/v1/sessions")) onUnauthenticated();
    throw new ApiFailure(response.status, failureFrom(response.status, parsed));
  }
  return parsed as T;
}

/** Handlers for a server-sent event stream: one per event name, plus `error` when the stream drops. */
export interface EventHandlers {
  readonly [event: string]: ((data: unknown, event: MessageEvent) => void) | undefined;
}

/** An open event stream; `close()` stops it. */
export interface EventStream {
  close(): void;
}

/**
 * Opens a server-sent event stream on a same-origin API path (the session cookie goes with it). Each event's data is
 * parsed as JSON when it is JSON and handed over as text otherwise. The handler named `message` gets unnamed events;
 * `error` is called (with null) when the connection drops and the browser gives up.
 */
export function openEvents(path: string, handlers: EventHandlers): EventStream {
  const source = new EventSource(path, { withCredentials: true });
  const parse = (raw: string): unknown => {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  };
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler === undefined || name === "error") continue;
    source.addEventListener(name, (event) => {
      const message = event as MessageEvent;
      handler(parse(String(message.data)), message);
    });
  }
  source.addEventListener("error", (event) => {
    // The browser reconnects on its own while the state is CONNECTING; only a closed stream is reported.
    if (source.readyState === EventSource.CLOSED) handlers.error?.(null, event as MessageEvent);
  });
  return { close: () => source.close() };
}
