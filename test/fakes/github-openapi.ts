import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv, { type ValidateFunction } from "ajv";

/** GitHub's own OpenAPI 3.0 description of api.github.com, as `@octokit/openapi` ships it. */
export const GITHUB_OPENAPI = createRequire(__filename).resolve("@octokit/openapi/generated/api.github.com.json");

type Schema = Record<string, unknown>;

interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required?: boolean;
  readonly schema?: Schema;
  readonly "x-multi-segment"?: boolean;
}

/** One operation of the description. */
export interface GitHubOperation {
  /** GitHub's id, e.g. `issues/create-comment`. */
  readonly operationId: string;
  readonly method: string;
  /** `/repos/{owner}/{repo}/issues/{issue_number}/comments` */
  readonly template: string;
  readonly parameters: readonly Parameter[];
  readonly body: { readonly required: boolean; readonly schema: Schema | null } | null;
  readonly pattern: RegExp;
  readonly literal: number;
}

/** A request the description allows, its parameters read and typed. */
export interface MatchedRequest {
  readonly operation: GitHubOperation;
  readonly path: Record<string, string | number | boolean>;
  readonly query: Record<string, string | number | boolean>;
  readonly body: unknown;
}

/** What a request to check is made of. */
export interface GitHubRequestToCheck {
  readonly method: string;
  /** Path and query, as sent (still percent-encoded). */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

const isDate = (value: string) => !Number.isNaN(Date.parse(value));
const isUri = (value: string) => {
  try {
    return Boolean(new URL(value));
  } catch {
    return false;
  }
};

/**
 * GitHub's OpenAPI description turned into request checks: which operation a request is, and whether its path and
 * query parameters and JSON body are what the operation declares. `$ref`s are followed and OpenAPI's `nullable`
 * becomes a `null` type; request bodies are checked closed (a field the operation does not define is refused, since
 * GitHub ignores it silently and a client sending one has a bug nobody would see).
 */
export class GitHubContract {
  private readonly operations: GitHubOperation[] = [];
  private readonly ajv = new Ajv({ allErrors: true, strict: false, logger: false, formats: { "date-time": isDate, date: isDate, uri: isUri, "uri-template": true, email: true, int64: true, int32: true } });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: { paths: Record<string, Record<string, unknown>>; components: { parameters: Record<string, Parameter>; schemas: Record<string, Schema> } }) {
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, raw] of Object.entries(item)) {
        if (method === "parameters" || method.startsWith("x-")) continue;
        const op = raw as { operationId: string; parameters?: (Parameter | { $ref: string })[]; requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } };
        const parameters = (op.parameters ?? []).map((p) => this.parameter(p));
        const json = op.requestBody?.content?.["application/json"];
        const body = op.requestBody ? { required: op.requestBody.required === true, schema: json?.schema ?? null } : null;
        this.operations.push({ operationId: op.operationId, method: method.toUpperCase(), template, parameters, body, pattern: routePattern(template, parameters), literal: template.replace(/\{[^}]+\}/g, "").length });
      }
    }
  }

  /** Loads GitHub's description from `@octokit/openapi`. */
  static load(file = GITHUB_OPENAPI): GitHubContract {
    return new GitHubContract(JSON.parse(readFileSync(file, "utf8")));
  }

  /** The operation with this id. */
  operation(operationId: string): GitHubOperation | undefined {
    return this.operations.find((o) => o.operationId === operationId);
  }

  /** Checks a request: the operation it is, with its parameters read, or why the description refuses it. */
  check(request: GitHubRequestToCheck): MatchedRequest | { violation: string; notFound?: boolean } {
    const url = new URL(request.url, "http://contract.invalid");
    const candidates = this.operations.filter((o) => o.pattern.test(url.pathname));
    if (candidates.length === 0) return { violation: `no path of GitHub's description matches ${url.pathname}`, notFound: true };
    const operation = candidates.filter((o) => o.method === request.method).sort((a, b) => b.literal - a.literal)[0];
    if (!operation) return { violation: `${request.method} is not an operation of ${candidates[0]!.template}`, notFound: true };

    const path: Record<string, string | number | boolean> = {};
    const names = [...operation.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const values = operation.pattern.exec(url.pathname)!.slice(1);
    for (const [i, name] of names.entries()) {
      let raw: string;
      try {
        raw = decodeURIComponent(values[i]!);
      } catch {
        return { violation: `${operation.operationId}: path parameter '${name}' is not valid percent-encoding` };
      }
      const param = operation.parameters.find((p) => p.in === "path" && p.name === name);
      const typed = this.scalar(operation, param, raw, `path parameter '${name}'`);
      if (typeof typed === "object") return typed;
      path[name] = typed;
    }
    const query: Record<string, string | number | boolean> = {};
    for (const [name, raw] of url.searchParams) {
      const param = operation.parameters.find((p) => p.in === "query" && p.name === name);
      if (!param) return { violation: `${operation.operationId}: query parameter '${name}' is not in the description` };
      const typed = this.scalar(operation, param, raw, `query parameter '${name}'`);
      if (typeof typed === "object") return typed;
      query[name] = typed;
    }
    for (const param of operation.parameters) {
      if (param.required && param.in === "query" && !(param.name in query)) return { violation: `${operation.operationId}: required query parameter '${param.name}' is missing` };
    }
    if (!operation.body) {
      if (request.body.length > 0) return { violation: `${operation.operationId} takes no body` };
      return { operation, path, query, body: undefined };
    }
    if (request.body.length === 0) return operation.body.required ? { violation: `${operation.operationId}: the body is required` } : { operation, path, query, body: undefined };
    const mediaType = (request.contentType ?? "").split(";")[0]!.trim();
    if (mediaType !== "application/json") return { violation: `${operation.operationId}: content type '${mediaType}' is not application/json` };
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString("utf8"));
    } catch {
      return { violation: `${operation.operationId}: the body is not JSON` };
    }
    const problems = this.validate(`${operation.operationId}:body`, operation.body.schema ?? {}, body, true);
    return problems ? { violation: `${operation.operationId}: body ${problems}` } : { operation, path, query, body };
  }

  private parameter(p: Parameter | { $ref: string }): Parameter {
    return "$ref" in p ? this.document.components.parameters[p.$ref.split("/").pop()!]! : p;
  }

  /** A parameter's value typed as its schema says (integers and booleans from their text), or why it is refused. */
  private scalar(operation: GitHubOperation, param: Parameter | undefined, raw: string, what: string): string | number | boolean | { violation: string } {
    const schema = param?.schema ?? {};
    let value: string | number | boolean = raw;
    if (schema.type === "integer") {
      if (!/^-?\d+$/.test(raw)) return { violation: `${operation.operationId}: ${what} must be an integer but is '${raw}'` };
      value = Number(raw);
    } else if (schema.type === "boolean") {
      if (raw !== "true" && raw !== "false") return { violation: `${operation.operationId}: ${what} must be true or false but is '${raw}'` };
      value = raw === "true";
    }
    if (param?.in === "path" && raw === "") return { violation: `${operation.operationId}: ${what} is empty` };
    const problems = this.validate(`${operation.operationId}:${what}`, schema.type === "array" ? {} : schema, value, false);
    return problems ? { violation: `${operation.operationId}: ${what} ${problems}` } : value;
  }

  private validate(key: string, schema: Schema, value: unknown, closed: boolean): string | null {
    let check = this.compiled.get(key);
    if (!check) {
      check = this.ajv.compile(this.toJsonSchema(schema, closed, new Set()));
      this.compiled.set(key, check);
    }
    if (check(value)) return null;
    return (check.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` '${e.params.additionalProperty}'` : ""}`).join("; ");
  }

  /** An OpenAPI 3.0 schema as plain JSON Schema: references inlined, `nullable` as a null type, examples dropped. */
  private toJsonSchema(schema: Schema, closed: boolean, seen: Set<string>): Schema {
    if (typeof schema.$ref === "string") {
      const name = schema.$ref.split("/").pop()!;
      // A schema that contains itself is checked only to its first level again.
      if (seen.has(name)) return {};
      return this.toJsonSchema(this.document.components.schemas[name]!, closed, new Set([...seen, name]));
    }
    const out: Schema = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key.startsWith("x-") || key === "example" || key === "examples" || key === "nullable" || key === "discriminator" || key === "description" || key === "title") continue;
      if (key === "properties") out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, this.toJsonSchema(v, closed, seen)]));
      else if (key === "items" || key === "not" || (key === "additionalProperties" && typeof value === "object")) out[key] = this.toJsonSchema(value as Schema, closed, seen);
      else if (key === "oneOf" || key === "anyOf" || key === "allOf") out[key] = (value as Schema[]).map((v) => this.toJsonSchema(v, false, seen));
      else out[key] = value;
    }
    if (schema.nullable === true) {
      if (typeof out.type === "string") out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      if (!out.type) return { anyOf: [out, { type: "null" }] };
    }
    if (closed && out.properties && out.additionalProperties === undefined && !out.oneOf && !out.anyOf && !out.allOf) out.additionalProperties = false;
    return out;
  }
}

function routePattern(template: string, parameters: readonly Parameter[]): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name) return parameters.find((p) => p.name === name && p.in === "path")?.["x-multi-segment"] ? "(.+)" : "([^/]+)";
      return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${source}$`);
}
