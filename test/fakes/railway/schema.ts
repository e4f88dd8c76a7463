import { readFileSync } from "node:fs";
import path from "node:path";
import {
  buildClientSchema,
  execute,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";

/** An error the fake answers on purpose, in Railway's words; any other error in an answer is a fault of the fake. */
export class RailwayRefusal extends Error {}

let schema: GraphQLSchema | undefined;

/** Railway's GraphQL schema, from the introspection result Railway's CLI vendors (see README.md beside this file). */
export function railwaySchema(): GraphQLSchema {
  if (!schema) {
    const introspection = JSON.parse(readFileSync(path.join(__dirname, "schema.json"), "utf8")) as { data: IntrospectionQuery };
    schema = buildClientSchema(introspection.data);
  }
  return schema;
}

/** One GraphQL request as it arrives over HTTP. */
export interface GraphQLBody {
  readonly query?: unknown;
  readonly operationName?: unknown;
  readonly variables?: unknown;
}

/** A request that passed the checks: its document, the operation's name and its variables coerced by the schema. */
export interface CheckedRequest {
  readonly document: DocumentNode;
  readonly operationName: string;
  readonly variables: Record<string, unknown>;
}

/**
 * Checks a request the way a GraphQL server does before running it: the query parses, validates against Railway's
 * schema, names one operation, and its variables coerce to the types the operation declares. Returns the problems,
 * or the checked request.
 */
export function checkRequest(body: GraphQLBody): CheckedRequest | { readonly errors: string[] } {
  if (typeof body.query !== "string") return { errors: ["Must provide query string."] };
  let document: DocumentNode;
  try {
    document = parse(body.query);
  } catch (error) {
    return { errors: [(error as Error).message] };
  }
  const invalid = validate(railwaySchema(), document);
  if (invalid.length > 0) return { errors: invalid.map((e) => e.message) };
  const operation = getOperationAST(document, typeof body.operationName === "string" ? body.operationName : undefined);
  if (!operation?.name) return { errors: ["Must name one operation of the document."] };
  if (body.variables !== undefined && (typeof body.variables !== "object" || Array.isArray(body.variables))) return { errors: ["Variables must be an object."] };
  const coerced = getVariableValues(railwaySchema(), operation.variableDefinitions ?? [], (body.variables ?? {}) as Record<string, unknown>);
  if (coerced.errors) return { errors: coerced.errors.map((e) => e.message) };
  return { document, operationName: operation.name.value, variables: coerced.coerced };
}

/** An answer, and the errors in it that are the fake's own faults (a value the schema does not allow) rather than refusals. */
export interface CheckedAnswer {
  readonly result: ExecutionResult;
  readonly faults: string[];
}

/**
 * Runs a checked request on Railway's schema with `root` resolving its fields, so the answer has exactly the shape
 * the schema gives it. An error that is not a `RailwayRefusal` (a null for a non-null field, a value of the wrong
 * type) is a fault of the fake.
 */
export async function executeChecked(request: CheckedRequest, root: object, principal: unknown): Promise<CheckedAnswer> {
  const result = await execute({
    schema: railwaySchema(),
    document: request.document,
    operationName: request.operationName,
    rootValue: root,
    contextValue: principal,
    variableValues: request.variables,
  });
  const faults = (result.errors ?? []).filter((e) => !(e.originalError instanceof RailwayRefusal)).map((e) => `${request.operationName}: ${e.message}`);
  return { result, faults };
}
