/** What an `HttpApiError` is made from. */
export interface HttpApiErrorInit {
  /** The service, as people call it: `Netlify`, `Railway`. */
  readonly api: string;
  /** What was being done, in the API's terms: `create site`, `projectCreate`. */
  readonly operation: string;
  /** HTTP status of the last answer; 0 when nothing answered. */
  readonly status: number;
  /** The API's own explanation, or why nothing answered; shown after the status. */
  readonly detail?: string;
  /** True when the request may have been carried out although no success came back (a 5xx or no answer). */
  readonly outcomeUnknown?: boolean;
  /** Environment variable that holds the token, named when the API rejects it. */
  readonly tokenVariable?: string;
  /** Values that must not appear in the message (the token, variable values sent); each is replaced by `[redacted]`. */
  readonly secrets?: readonly string[];
}

/**
 * A call to a provider's HTTP API that failed. Callers branch on `status` and `outcomeUnknown`, never on the message.
 * The message never contains the token or any value listed in `secrets`, even when the API echoes them back.
 */
export class HttpApiError extends Error {
  readonly code = "HTTP_API_ERROR" as const;
  readonly api: string;
  readonly operation: string;
  readonly status: number;
  readonly outcomeUnknown: boolean;

  constructor(init: HttpApiErrorInit) {
    const detail = redact(init.detail ?? "", init.secrets ?? []);
    super(
      (init.status === 401 || init.status === 403) && init.tokenVariable
        ? `${init.api} rejected the token for ${init.operation} (HTTP ${init.status}); check ${init.tokenVariable}`
        : `${init.api} ${init.operation} failed${init.status >= 300 ? ` (HTTP ${init.status})` : ""}${detail ? `: ${detail}` : ""}`,
    );
    this.name = "HttpApiError";
    this.api = init.api;
    this.operation = init.operation;
    this.status = init.status;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }
}

/** Replaces every occurrence of each secret in `text` with `[redacted]`, longest first so overlaps go too. */
export function redact(text: string, secrets: readonly string[]): string {
  // Very short values (`1`, `true`) would blank out ordinary words without protecting anything.
  const values = [...new Set(secrets)].filter((value) => value.length >= 4).sort((a, b) => b.length - a.length);
  return values.reduce((result, value) => result.split(value).join("[redacted]"), text);
}
