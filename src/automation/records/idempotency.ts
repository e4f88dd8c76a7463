import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { failure, type FailureResult } from "../../outcome";

/** How long a result answers a repeated idempotency key, by default: one day. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Longest idempotency key accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** A stored result of a keyed call. */
interface IdempotencyRecord<T> {
  readonly created_at: string;
  /** Digest of the request the key was first used with; the same key with another request is refused. */
  readonly request_digest: string;
  readonly result: T;
}

/** Calls with a key in progress in this process, so concurrent repeats share one run. */
const inFlight = new Map<string, Promise<unknown>>();

function digest(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A stable text of a request: object keys sorted, so key order does not make a different request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Options of `withIdempotency`. */
export interface IdempotencyOptions {
  /** The caller's key: the same key within the window returns the first call's result without running again. */
  readonly key: string;
  /** Directory of product state where results are kept (`<dataDir>/idempotency/`). */
  readonly dataDir: string;
  readonly windowMs?: number;
  /** Results that must not be kept (e.g. an internal error worth retrying). */
  readonly keep?: (result: unknown) => boolean;
}

/**
 * Runs `run` once per key and request within the window: a repeated call (in this process or a later one) gets the
 * first call's result, a concurrent one in this process waits for it, and the same key with a different request is
 * refused at stage `validation`. Keys are stored only as digests.
 */
export async function withIdempotency<T>(request: unknown, options: IdempotencyOptions, run: () => Promise<T>): Promise<T | FailureResult> {
  const key = options.key;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    return failure(
      "validation",
      `idempotencyKey: expected 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable characters without spaces`,
      "Use a UUID or another opaque token per logical deployment.",
    );
  }
  const file = path.join(options.dataDir, "idempotency", `${digest(key)}.json`);
  const requestDigest = digest(canonical(request));
  // Registered before the first await, so a concurrent call with the same key in this process waits for this one.
  let task = inFlight.get(file) as Promise<{ digest: string; result: T }> | undefined;
  if (!task) {
    task = answerOnce(file, requestDigest, options, run);
    inFlight.set(file, task);
    void task.finally(() => inFlight.delete(file)).catch(() => undefined);
  }
  const answered = await task;
  if (answered.digest !== requestDigest) {
    return failure("validation", "idempotencyKey: this key was already used with a different request", "Use a new key for a different deployment request.");
  }
  return answered.result;
}

/** The stored answer for a key within its window, or the answer of a new run, stored unless `keep` says no. */
async function answerOnce<T>(file: string, requestDigest: string, options: IdempotencyOptions, run: () => Promise<T>): Promise<{ digest: string; result: T }> {
  const stored = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as IdempotencyRecord<T>,
    () => null,
  );
  const windowMs = options.windowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  if (stored && Date.now() - Date.parse(stored.created_at) < windowMs) return { digest: stored.request_digest, result: stored.result };
  const result = await run();
  if (options.keep?.(result) ?? true) {
    const record: IdempotencyRecord<T> = { created_at: new Date().toISOString(), request_digest: requestDigest, result };
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
    await rename(temp, file);
  }
  return { digest: requestDigest, result };
}
