import type { FastifyInstance, FastifySchema } from "fastify";

/** A JSON Schema (2020-12, as OpenAPI 3.1 takes it). */
export type JsonSchema = Record<string, unknown>;

/** An OpenAPI parameter as a route describes it. */
export interface ParameterDoc {
  readonly name: string;
  /** `path`, `query` or `header`. */
  readonly in: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: JsonSchema;
}

/** An OpenAPI response: its description and, per media type, the schema of its body. */
export interface ResponseDoc {
  readonly description: string;
  readonly content?: Record<string, { readonly schema: JsonSchema }>;
}

/** How a route describes itself, in OpenAPI's terms; `routeSchema` turns it into the route's declared `schema`. */
export interface OperationDoc {
  readonly summary: string;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly parameters?: readonly ParameterDoc[];
  readonly requestBody?: { readonly required: boolean; readonly content: Record<string, { readonly schema: JsonSchema }> };
  readonly responses: Record<string, ResponseDoc>;
}

/** The schema a route declares: fastify's parts (params, querystring, headers, body, response per status) and its description. */
export interface RouteSchema extends FastifySchema {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly headers?: JsonSchema;
  /** The JSON body's schema. */
  readonly body?: JsonSchema;
  /** Every media type the body may come as, with its schema (the JSON one is also `body`). */
  readonly bodyContent?: Record<string, { readonly schema: JsonSchema }>;
  readonly bodyRequired?: boolean;
  readonly response: Record<string, ResponseDoc>;
}

/** The parameters of one place (`path`, `query`, `header`) as an object schema, each parameter a property. */
function objectOf(parameters: readonly ParameterDoc[]): JsonSchema | undefined {
  if (parameters.length === 0) return undefined;
  const properties = Object.fromEntries(parameters.map((p) => [p.name, { ...(p.schema ?? { type: "string" }), ...(p.description ? { description: p.description } : {}) }]));
  const required = parameters.filter((p) => p.in === "path" || p.required === true).map((p) => p.name);
  return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
}

/** The schema a route declares for `operation`, filed under `tags`. */
export function routeSchema(tags: readonly string[], operation: OperationDoc): RouteSchema {
  const parameters = operation.parameters ?? [];
  const json = operation.requestBody?.content["application/json"]?.schema;
  return {
    summary: operation.summary,
    tags,
    ...(operation.security ? { security: operation.security } : {}),
    ...optional("params", objectOf(parameters.filter((p) => p.in === "path"))),
    ...optional("querystring", objectOf(parameters.filter((p) => p.in === "query"))),
    ...optional("headers", objectOf(parameters.filter((p) => p.in === "header"))),
    ...optional("body", json),
    ...(operation.requestBody ? { bodyContent: operation.requestBody.content, bodyRequired: operation.requestBody.required } : {}),
    response: operation.responses,
  };
}

function optional<K extends string>(key: K, value: JsonSchema | undefined): Partial<Record<K, JsonSchema>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, JsonSchema>>);
}

function isRouteSchema(schema: unknown): schema is RouteSchema {
  if (typeof schema !== "object" || schema === null) return false;
  const { summary, tags, response } = schema as Partial<RouteSchema>;
  return typeof summary === "string" && summary.length > 0 && Array.isArray(tags) && typeof response === "object" && response !== null && Object.keys(response).length > 0;
}

/** A route as registered, with the schema it declared. */
export interface DeclaredRoute {
  readonly method: string;
  /** As fastify writes it: `/v1/deployments/:id`. */
  readonly url: string;
  readonly schema: RouteSchema;
}

/**
 * Collects every route registered on `app` from now on, with its declared schema, for the OpenAPI document; a
 * route registered without one (a summary, tags and its responses) is refused when it is registered, so no route
 * goes undescribed. The declared schemas describe: the handlers check what they take themselves and answer every
 * problem at once in the brief's error object, so fastify validates nothing itself and sends replies as they are.
 */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      // fastify adds a HEAD route beside each GET (the API declares none of its own); the document describes the GET.
      if (method === "HEAD") continue;
      if (!isRouteSchema(route.schema)) throw new Error(`route ${method} ${route.url} declares no schema (summary, tags, responses); every route describes itself`);
      routes.push({ method, url: route.url, schema: route.schema });
    }
  });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  return routes;
}

/** The OpenAPI `paths` of the declared routes: parameters, request body and responses from each one's schema. */
export function openApiPaths(routes: readonly DeclaredRoute[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, url, schema } of routes) {
    const parameters = [...parametersOf(schema.params, "path"), ...parametersOf(schema.querystring, "query"), ...parametersOf(schema.headers, "header")];
    const content = schema.bodyContent ?? (schema.body ? { "application/json": { schema: schema.body } } : undefined);
    const operation = {
      summary: schema.summary,
      tags: [...schema.tags],
      ...(schema.security ? { security: schema.security } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(content ? { requestBody: { required: schema.bodyRequired ?? true, content } } : {}),
      responses: schema.response,
    };
    const template = url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
    paths[template] = { ...paths[template], [method.toLowerCase()]: operation };
  }
  return paths;
}

function parametersOf(schema: JsonSchema | undefined, place: "path" | "query" | "header"): ParameterDoc[] {
  if (!schema) return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property as { description?: string } & JsonSchema;
    return { name, in: place, required: place === "path" || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}
