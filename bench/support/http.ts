/** HTTP for the benches: a bounded request and polling a URL until it answers 200. */
import http from "node:http";
import { sleep } from "./stats";

/** One HTTP request: status and body; rejects on a connection error or after `timeoutMs`. */
export function httpRequest(
  url: URL,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false, timeout: options.timeoutMs ?? 30_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    sent.on("timeout", () => sent.destroy(new Error(`no answer from ${url.host} within ${(options.timeoutMs ?? 30_000) / 1000} s`)));
    sent.on("error", reject);
    sent.end(options.body);
  });
}

/**
 * Polls `url` every `intervalMs` until it answers 200; the `performance.now()` of that answer. Rejects when
 * `stillWaiting` says to give up or after `timeoutMs`.
 */
export async function firstOk(url: string, timeoutMs: number, intervalMs = 20, stillWaiting: () => boolean = () => true): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await httpRequest(new URL(url), { timeoutMs: 2_000 }).catch(() => null);
    if (answer?.status === 200) return performance.now();
    if (performance.now() > deadline || !stillWaiting()) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}
