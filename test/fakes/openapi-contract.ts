import { readFileSync } from "node:fs";
import Ajv, { type ValidateFunction } from "ajv";

/** A Swagger 2.0 parameter, as the description writes it. */
interface SwaggerParameter {
  readonly name: string;
  readonly in: "path" | "query" | "body" | "header" | "formData";
  readonly required?: boolean;
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly schema?: Record<string, unknown>;
}

/** One operation of the description: its route and what it takes and answers. */
export interface ContractOperation {
  readonly operationId: string;
  readonly method: string;
  /** Path template under the base path: `/sites/{site_id}`. */
  readonly template: string;
  readonly parameters: readonly SwaggerParameter[];
  readonly consumes: readonly string[];
  readonly responses: Record<string, { schema?: Record<string, unknown> }>;
}

/** A request the description allows, with its parameters read. */
export interface CheckedRequest {
  readonly operation: ContractOperation;
  readonly path: Record<string, string>;
  readonly query: Record<string, string>;
  /** The parsed JSON body, or the raw bytes for an operation that consumes `application/octet-stream`. */
  readonly body: unknown;
}

/** What a request to check is made of. */
export interface RequestToCheck {
  readonly method: string;
  /** Path and query below the base path, as sent (still percent-encoded). */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

// Path parameters that name a file of the deploy: they run across `/` (netlify/cli sends them through `encodeURI`).
const MULTI_SEGMENT = new Set(["path"]);

/**
 * Netlify's OpenAPI (Swagger 2.0) description turned into checks: which operation a request is, whether its path,
 * query and body are what the description allows, and whether an answer matches the description's response schema.
 * Request bodies are checked as closed objects (a field the description does not define is refused), since Netlify
 * silently ignores such fields and a client sending one has a bug nobody would see; answers are checked open, as the
 * real API returns more than the description lists.
 */
export class OpenApiContract {
  private readonly operations: ContractOperation[] = [];
  private readonly ajv = new Ajv({ allErrors: true, strict: false, formats: FORMATS });
  private readonly compiled = new Map<string, ValidateFunction>();

  /**
   * @param alsoNullable properties that the real API is known to send as `null` although the description does not
   *   mark them `x-nullable`; each is accepted as null wherever it occurs.
   */
  constructor(
    document: { paths: Record<string, Record<string, unknown>>; consumes?: string[] },
    private readonly alsoNullable: readonly string[] = [],
  ) {
    for (const [template, item] of Object.entries(document.paths)) {
      const shared = (item.parameters ?? []) as SwaggerParameter[];
      for (const [method, raw] of Object.entries(item)) {
        if (method === "parameters") continue;
        const op = raw as { operationId: string; parameters?: SwaggerParameter[]; consumes?: string[]; responses: ContractOperation["responses"] };
        const own = op.parameters ?? [];
        const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
        this.operations.push({ operationId: op.operationId, method: method.toUpperCase(), template, parameters, consumes: op.consumes ?? document.consumes ?? ["application/json"], responses: op.responses });
      }
    }
  }

  /** Loads a description from a JSON file. */
  static load(file: string, alsoNullable: readonly string[] = []): OpenApiContract {
    return new OpenApiContract(JSON.parse(readFileSync(file, "utf8")), alsoNullable);
  }

  /** The operation with this id (for tests of the contract itself). */
  operation(operationId: string): ContractOperation | undefined {
    return this.operations.find((o) => o.operationId === operationId);
  }

  /** Checks a request; the answer is the operation and its read parameters, or why the description refuses it. */
  checkRequest(request: RequestToCheck): CheckedRequest | { violation: string } {
    const url = new URL(request.url, "http://contract.invalid");
    const matched = this.match(request.method, url.pathname);
    if ("violation" in matched) return matched;
    const { operation, path } = matched;
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) {
      const param = operation.parameters.find((p) => p.in === "query" && p.name === name);
      if (!param) return { violation: `${operation.operationId}: query parameter '${name}' is not in the description` };
      const problem = this.checkScalar(param, value);
      if (problem) return { violation: `${operation.operationId}: query parameter '${name}' ${problem}` };
      query[name] = value;
    }
    for (const param of operation.parameters) {
      if (param.required && param.in === "query" && !(param.name in query)) return { violation: `${operation.operationId}: required query parameter '${param.name}' is missing` };
      if (param.in === "path") {
        const problem = this.checkScalar(param, path[param.name] ?? "");
        if (problem) return { violation: `${operation.operationId}: path parameter '${param.name}' ${problem}` };
      }
    }
    const bodyParam = operation.parameters.find((p) => p.in === "body");
    if (!bodyParam) {
      if (request.body.length > 0) return { violation: `${operation.operationId} takes no body` };
      return { operation, path, query, body: undefined };
    }
    const mediaType = (request.contentType ?? "").split(";")[0]!.trim();
    if (request.body.length === 0 && mediaType !== "application/octet-stream") {
      return bodyParam.required ? { violation: `${operation.operationId}: the body is required` } : { operation, path, query, body: undefined };
    }
    if (!operation.consumes.includes(mediaType)) return { violation: `${operation.operationId}: content type '${mediaType}' is not one of ${operation.consumes.join(", ")}` };
    if (mediaType !== "application/json") return { operation, path, query, body: request.body };
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString("utf8"));
    } catch {
      return { violation: `${operation.operationId}: the body is not JSON` };
    }
    const problems = this.validate(`${operation.operationId}:request`, bodyParam.schema ?? {}, body, true);
    return problems ? { violation: `${operation.operationId}: body ${problems}` } : { operation, path, query, body };
  }

  /** Why an answer does not match the description's response for its status, or null when it does. */
  checkResponse(operation: ContractOperation, status: number, payload: unknown): string | null {
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) return `${operation.operationId}: status ${status} is not in the description`;
    if (!response.schema) return payload === undefined ? null : `${operation.operationId}: status ${status} has no body in the description`;
    const problems = this.validate(`${operation.operationId}:${status in operation.responses ? status : "default"}`, response.schema, payload, false);
    return problems ? `${operation.operationId}: answer ${status} ${problems}` : null;
  }

  private match(method: string, pathname: string): { operation: ContractOperation; path: Record<string, string> } | { violation: string } {
    const candidates = this.operations.filter((o) => routePattern(o.template).test(pathname));
    if (candidates.length === 0) return { violation: `no path of the description matches ${pathname}` };
    // Where two templates match, the one with more literal text is meant (a file path can hold `/cancel`).
    const operation = candidates.filter((o) => o.method === method).sort((a, b) => literalLength(b.template) - literalLength(a.template))[0];
    if (!operation) return { violation: `${method} is not an operation of ${candidates[0]!.template}` };
    const names = [...operation.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const values = routePattern(operation.template).exec(pathname)!.slice(1);
    const path: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      try {
        path[name] = decodeURIComponent(values[i]!);
      } catch {
        return { violation: `${operation.operationId}: path parameter '${name}' is not valid percent-encoding: ${values[i]}` };
      }
    }
    return { operation, path };
  }

  private checkScalar(param: SwaggerParameter, value: string): string | null {
    if (param.enum && !param.enum.includes(value)) return `must be one of ${param.enum.join(", ")} but is '${value}'`;
    if (param.type === "integer" && !/^-?\d+$/.test(value)) return `must be an integer but is '${value}'`;
    if (param.type === "boolean" && value !== "true" && value !== "false") return `must be true or false but is '${value}'`;
    if (param.in === "path" && value === "") return "is empty";
    return null;
  }

  private validate(key: string, schema: Record<string, unknown>, value: unknown, closed: boolean): string | null {
    let check = this.compiled.get(key);
    if (!check) {
      check = this.ajv.compile(toJsonSchema(schema, closed, this.alsoNullable));
      this.compiled.set(key, check);
    }
    if (check(value)) return null;
    return (check.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` '${e.params.additionalProperty}'` : ""}`).join("; ");
  }
}

const patterns = new Map<string, RegExp>();

function routePattern(template: string): RegExp {
  let pattern = patterns.get(template);
  if (!pattern) {
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{(.+)\}$/.exec(part)?.[1];
        if (name) return MULTI_SEGMENT.has(name) ? "(.+)" : "([^/]+)";
        return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      })
      .join("");
    pattern = new RegExp(`^${source}$`);
    patterns.set(template, pattern);
  }
  return pattern;
}

function literalLength(template: string): number {
  return template.replace(/\{[^}]+\}/g, "").length;
}

/**
 * A Swagger 2.0 schema as JSON Schema: `x-nullable` becomes a `null` type, `allOf` of objects is merged into one
 * object (so that closing it does not refuse the other parts' fields), vendor extensions are dropped, and with
 * `closed` every object that lists its properties refuses others.
 */
export function toJsonSchema(schema: Record<string, unknown>, closed: boolean, alsoNullable: readonly string[] = []): Record<string, unknown> {
  let source = schema;
  if (Array.isArray(schema.allOf)) {
    const parts = (schema.allOf as Record<string, unknown>[]).map((p) => toJsonSchema(p, false, alsoNullable));
    const { allOf: _allOf, ...rest } = schema;
    source = {
      ...rest,
      type: "object",
      properties: Object.assign({}, ...parts.map((p) => (p.properties as object) ?? {})),
      required: parts.flatMap((p) => (Array.isArray(p.required) ? p.required : [])),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith("x-") || key === "example" || key === "discriminator") continue;
    if (key === "properties") {
      const entries = Object.entries(value as Record<string, Record<string, unknown>>);
      out.properties = Object.fromEntries(entries.map(([k, v]) => [k, toJsonSchema(alsoNullable.includes(k) ? { ...v, "x-nullable": true } : v, closed, alsoNullable)]));
    } else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) out[key] = toJsonSchema(value as Record<string, unknown>, closed, alsoNullable);
    else if (key === "required" && !Array.isArray(value)) continue;
    else if (key === "type" && value === "file") continue;
    else out[key] = value;
  }
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  if (source["x-nullable"] === true && typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  if (closed && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const isDate = (value: string) => !Number.isNaN(Date.parse(value));
// Number formats only say how wide the number is; the date formats (both spellings occur) are checked.
const FORMATS = { int32: true, int64: true, float: true, double: true, binary: true, "date-time": isDate, dateTime: isDate } as const;
