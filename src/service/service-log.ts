import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Where the service's JSON log lines go and how much of it. */
export interface ServiceLogOptions {
  /** Receives each JSON line; default the process's stderr. */
  readonly destination?: { write(line: string): unknown };
  /** pino's level: `error` (5xx only), `warn` (also answers scrubbed of machine details), `info` (every request). Default `warn`. */
  readonly level?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Masks the service's own credentials (the database password) in every line. */
  readonly redact?: (text: string) => string;
}

/** A bearer token as the service issues them: its secret part never reaches a log line. */
const TOKEN_SECRET = /\b(dp_[0-9a-f]{16})_[A-Za-z0-9_-]{43}\b/g;

/** Request headers never logged as sent. */
const SECRET_HEADERS = ["authorization", "cookie", "set-cookie", "x-hub-signature-256", "x-signature", "proxy-authorization"];

/**
 * Fastify's logger options for the service: pino JSON lines with the request id of every request, request headers
 * that carry credentials censored, and every line passed through the credential masking before it is written.
 */
export function serviceLogger(options: ServiceLogOptions = {}): Record<string, unknown> {
  const destination = options.destination ?? process.stderr;
  const redact = options.redact ?? ((text: string) => text);
  return {
    level: options.level ?? "warn",
    stream: { write: (line: string) => destination.write(redact(line).replace(TOKEN_SECRET, "$1_[secret]")) },
    redact: { paths: SECRET_HEADERS.flatMap((name) => [`req.headers["${name}"]`, `headers["${name}"]`]), censor: "[secret]" },
  };
}

/** A request id a caller may choose: short, and only characters that are safe in a log line and a header. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The header a caller may send its own request id in (and the answer carries it back in). */
export const REQUEST_ID_HEADER = "x-request-id";

/** The id of a request: the caller's `X-Request-Id` when it is a safe one (1–64 of A–Z a–z 0–9 . _ : -), else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === "string" && CALLER_REQUEST_ID.test(sent) ? sent : randomUUID();
}
