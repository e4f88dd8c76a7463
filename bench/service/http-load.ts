import http from "node:http";

/** One answer: its status, body and how long it took (ms). */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/** One HTTP request on `agent`, answered within 30 s. */
export function request(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sent = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
      response.on("error", reject);
    });
    sent.on("timeout", () => sent.destroy(new Error("no answer within 30 s")));
    sent.on("error", reject);
    sent.end(body);
  });
}

/** What a read load measured: throughput, latency percentiles (ms), answers that are not 2xx, failed requests. */
export interface LoadResult {
  readonly requests: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** `clients` loops on keep-alive connections calling `url` for `seconds`, after a short unmeasured warm-up. */
export async function load(url: URL, headers: Record<string, string>, seconds: number, clients: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  // A short unmeasured start lets connections open and the server's code warm up first.
  const warmUntil = performance.now() + Math.min(3_000, seconds * 200);
  const measureUntil = warmUntil + seconds * 1000;
  const client = async () => {
    while (performance.now() < measureUntil) {
      const startedAt = performance.now();
      try {
        const answer = await request(agent, url, "GET", headers);
        if (startedAt < warmUntil) continue;
        latencies.push(answer.ms);
        if (answer.status < 200 || answer.status > 299) non2xx += 1;
      } catch {
        if (startedAt >= warmUntil) errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { requests: sorted.length, perSecond: sorted.length / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), non2xx, errors };
}
