/** Options of `fetchWithRetry`. */
export interface RetryOptions {
  /** Attempts in all for a call answered with 429 or 5xx, or not answered at all. @default 4 */
  readonly attempts?: number;
  /** Longest wait between attempts. @default 5000 ms */
  readonly maxDelayMs?: number;
  /** Time allowed for one attempt. @default 30000 ms */
  readonly timeoutMs?: number;
}

/** The last answer of a call that was retried: its status (0 when nothing answered) and the start of its body. */
export interface FinalAnswer {
  readonly response: Response | null;
  readonly status: number;
  readonly detail: string;
}

/**
 * Calls an HTTP API the way its clients are asked to: a 429 is retried after its Retry-After (or an exponential
 * backoff), a 5xx or a network failure after the backoff, a bounded number of times. Other answers return at once.
 */
export async function fetchWithRetry(url: string, init: RequestInit, options: RetryOptions = {}): Promise<FinalAnswer> {
  const attempts = options.attempts ?? 4;
  let last: FinalAnswer = { response: null, status: 0, detail: "" };
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    let retryAfter: string | null = null;
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
      if (response.status !== 429 && response.status < 500) return { response, status: response.status, detail: "" };
      retryAfter = response.headers.get("retry-after");
      last = { response: null, status: response.status, detail: (await response.text().catch(() => "")).slice(0, 200) };
    } catch (error) {
      last = { response: null, status: 0, detail: (error as Error).message };
    }
    if (attempt < attempts) {
      const fromHeader = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(fromHeader ?? 200 * 2 ** (attempt - 1), options.maxDelayMs ?? 5000)));
    }
  }
  return last;
}
