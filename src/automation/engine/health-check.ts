import type { IdentityProbe } from "../../components/release-identity";

/** Options of `waitForHealthy`. */
export interface HealthCheckOptions {
  /** Total time to wait for a healthy answer; default 30 s. */
  readonly timeoutMs?: number;
  /** Time allowed for one request; default 5 s. */
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * A fresh identity exchange per request (the stack's target says how its release is identified): an answer is
   * healthy only when it also proves it came from the stack's release.
   */
  readonly identity?: () => Promise<IdentityProbe>;
}

/** Outcome of a health check. */
export type HealthCheckOutcome =
  /** `release`: the release the answer proved it came from, where the target names it. */
  | { readonly healthy: true; readonly status: number; readonly attempts: number; readonly release?: string | null }
  | { readonly healthy: false; readonly lastError: string; readonly attempts: number };

/**
 * Polls `url` until it answers with a 2xx or 3xx status (and, with `identity`, proves it is the stack's release), or
 * the time runs out. Redirects are not followed: a redirect already proves the app is serving.
 */
export async function waitForHealthy(url: string, options: HealthCheckOptions = {}): Promise<HealthCheckOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let attempts = 0;
  let lastError = "no request made";
  while (Date.now() < deadline && !options.signal?.aborted) {
    attempts += 1;
    try {
      const probe = options.identity ? await options.identity() : null;
      const response = await fetch(url, {
        headers: probe?.headers,
        redirect: "manual",
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 5_000),
      });
      await response.arrayBuffer();
      const verdict = probe ? probe.check(response) : null;
      if (verdict && verdict.kind !== "proven") lastError = verdict.reason;
      else if (response.status >= 200 && response.status < 400) return { healthy: true, status: response.status, attempts, release: verdict?.release ?? null };
      else lastError = `HTTP ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      lastError = cause?.code ?? (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempts, 2000)));
  }
  return { healthy: false, lastError, attempts };
}

/** Joins a base URL and a health check path. */
export function healthUrl(baseUrl: string, healthPath: string): string {
  return new URL(healthPath, baseUrl.endsWith("/") ? baseUrl : baseUrl + "/").href;
}
