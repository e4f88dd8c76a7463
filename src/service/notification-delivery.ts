import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying an event's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "X-Deployment-Planner-Signature";
/** The header naming the event (`queued`, `started`, `succeeded`, `failed`, `rolled_back`). */
export const EVENT_HEADER = "X-Deployment-Planner-Event";
/** The header carrying the event's id: the same on every retry, so a receiver can drop a repeated delivery. */
export const DELIVERY_HEADER = "X-Deployment-Planner-Delivery";

/** How long a subscriber has to answer, by default. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/** What one attempt to deliver an event got: the subscriber's status code, or a short reason it got none. */
export interface DeliveryOutcome {
  readonly delivered: boolean;
  readonly statusCode: number | null;
  /** Short and free of internals ("timeout", "connection refused", "HTTP 500"); null once delivered. */
  readonly error: string | null;
}

/** One signed POST of an event's body to a subscriber. */
export interface DeliveryRequest {
  readonly url: string;
  readonly event: string;
  readonly eventId: string;
  /** The exact bytes that are signed and sent. */
  readonly body: string;
  readonly secret: string;
  readonly userAgent: string;
  readonly timeoutMs?: number;
}

/** The signature header's value for `body` signed with `secret` at `timestampSeconds`. */
export function signNotification(secret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

/**
 * Checks an event's `X-Deployment-Planner-Signature` header, as a subscriber should before trusting the event:
 * the header must hold a `t=<unix seconds>` within `toleranceSeconds` of now (so a captured request cannot be
 * replayed later) and a `v1=` HMAC-SHA256, keyed with the subscriber's secret, of `"<t>.<body>"`, where `body` is the
 * raw request body exactly as received (not re-serialised JSON). Comparison is constant-time. Several `v1=` entries
 * are accepted (any may match), which leaves room to sign with two secrets while one is rotated.
 */
export function verifyNotificationSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Buffer,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!secret || !header) return false;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2) as [string, string | undefined];
    if (key === "t" && value && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && value && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === null || signatures.length === 0 || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, typeof body === "string" ? body : body.toString("utf8")), "utf8");
  // Every candidate is compared, so the time taken does not tell which one (if any) matched.
  let matched = false;
  for (const signature of signatures) matched = timingSafeEqual(expected, Buffer.from(signature, "utf8")) || matched;
  return matched;
}

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
}

/**
 * POSTs one event to a subscriber, signed at the moment of sending. A 2xx answer is delivered; anything else (a
 * redirect too: following one would send the event somewhere the configuration never named) is a failure with a
 * short reason. The answer's body is never read, so a subscriber cannot make this hold or store anything big.
 */
export async function postNotification(request: DeliveryRequest): Promise<DeliveryOutcome> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": request.userAgent,
        [EVENT_HEADER]: request.event,
        [DELIVERY_HEADER]: request.eventId,
        [SIGNATURE_HEADER]: signNotification(request.secret, request.body),
      },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS),
    });
  } catch (error) {
    return { delivered: false, statusCode: null, error: describeNetworkError(error) };
  }
  // Releases the connection without waiting for (or buffering) whatever the subscriber sends back.
  await response.body?.cancel().catch(() => undefined);
  const delivered = response.status >= 200 && response.status < 300;
  return { delivered, statusCode: response.status, error: delivered ? null : `HTTP ${response.status}` };
}

/** Network error codes and the short reason recorded for them. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  UND_ERR_SOCKET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "host unreachable",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
};

/**
 * A fetch error as a short reason. Messages of the underlying errors can name addresses, certificates or internals of
 * this process; only a known code's fixed wording is recorded.
 */
function describeNetworkError(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  const cause = (error as { cause?: { code?: string; name?: string; cause?: { code?: string } } } | null)?.cause;
  const code = cause?.code ?? cause?.cause?.code;
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (cause?.name === "TimeoutError") return "timeout";
  if (code && /CERT|SSL|TLS/i.test(code)) return "TLS error";
  return "network error";
}
