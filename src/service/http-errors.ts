import { failure, type FailureResult } from "../outcome";

/**
 * The API's HTTP errors, each a kind of its own. A route throws one; the API's single error handler answers its
 * `failure` (a failure result) with the status of its class. The status is never read from a stage: a
 * failure RESULT of an operation keeps its stage's status (`httpStatusFor`), while these say what is wrong with the
 * request itself.
 */
export abstract class ApiError extends Error {
  /** The HTTP status every error of this kind answers. */
  abstract readonly statusCode: number;
  /** The failure result the caller receives. */
  readonly failure: FailureResult;

  constructor(result: FailureResult) {
    super(result.reason);
    this.name = new.target.name;
    this.failure = result;
  }
}

/** 400: the request is malformed (a body, a path segment, a query parameter); the reason names the field. */
export class BadRequest extends ApiError {
  readonly statusCode = 400;
}

/** 401: no live bearer token, or a webhook without a valid signature. */
export class Unauthenticated extends ApiError {
  readonly statusCode = 401;
}

/** 403: a token outside its projects or scope. */
export class Forbidden extends ApiError {
  readonly statusCode = 403;
}

/** 404: no such route, deployment, stack or hook (another project's is answered the same as a missing one). */
export class NotFound extends ApiError {
  readonly statusCode = 404;
}

/** 409: the request conflicts with what the service already holds (a replayed webhook delivery). */
export class Conflict extends ApiError {
  readonly statusCode = 409;
}

/** 413: a body over the service's limit. */
export class PayloadTooLarge extends ApiError {
  readonly statusCode = 413;
}

/** 414: a path segment over the router's limit. */
export class UriTooLong extends ApiError {
  readonly statusCode = 414;
}

/** 422: a well-formed request the service cannot act on (a rule's request that cannot be planned). */
export class Unprocessable extends ApiError {
  readonly statusCode = 422;
}

/** 429: over the token's request rate or its open event streams. */
export class RateLimited extends ApiError {
  readonly statusCode = 429;
}

/** 503: what the route needs (the queue, the workspace, the database) is not there. */
export class Unavailable extends ApiError {
  readonly statusCode = 503;
}

/** The error kind of a status the API answers, for errors fastify and its plugins raise with a bare status. */
export function apiErrorFor(statusCode: number, result: FailureResult): ApiError {
  const kinds: Record<number, new (result: FailureResult) => ApiError> = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    414: UriTooLong,
    422: Unprocessable,
    429: RateLimited,
    503: Unavailable,
  };
  const Kind = kinds[statusCode] ?? BadRequest;
  return new Kind(result);
}

/** What fastify reports of a request its schemas or parsers refused. */
interface FrameworkError {
  readonly statusCode?: number;
  readonly code?: string;
  readonly validation?: readonly { readonly instancePath?: string; readonly message?: string }[];
  readonly validationContext?: string;
}

/**
 * The error kind of an error fastify or a plugin raised before a handler ran, or null for anything else (a bug,
 * answered as `internal` by the caller). A schema refusal names the part and the field it refused.
 */
export function frameworkError(error: FrameworkError, bodyLimit: number): ApiError | null {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new PayloadTooLarge(failure("validation", `request body: larger than the ${bodyLimit} bytes this service accepts`, "Send a smaller request."));
  }
  if (error.statusCode === 429) {
    return new RateLimited(failure("access", "rate limit: too many requests for this token; try again shortly", "Slow down; the limit resets within a minute."));
  }
  if (error.validation && error.validation.length > 0) {
    const part = error.validationContext === "querystring" ? "query" : (error.validationContext ?? "request");
    const problems = error.validation.map((issue) => `${part}${(issue.instancePath ?? "").replace(/\//g, ".")}: ${issue.message ?? "not valid"}`);
    return new BadRequest({ ...failure("validation", problems[0]!, "Correct the named field; see /openapi.json for the route's schema."), ...(problems.length > 1 ? { problems } : {}) });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new BadRequest(failure("validation", "request: not valid JSON, or not the content type this route takes", "Send a JSON body with 'content-type: application/json'."));
  }
  return null;
}
