import { z } from "zod";
import { requestSchema } from "./request";
import { stackSpecSchema } from "./spec";

/** Where the published JSON Schemas live, relative to the package root. */
export const SCHEMA_FILES = {
  request: "schemas/request.schema.json",
  spec: "schemas/stack-spec.schema.json",
} as const;

/**
 * The JSON Schemas published for callers in other languages, generated from the zod schemas. Checks that only a
 * refinement can express (canary steps that increase and end at 100) are not in them; the planner still applies them.
 */
export function publishedSchemas(): Record<keyof typeof SCHEMA_FILES, Record<string, unknown>> {
  const options = { target: "draft-2020-12", io: "input", unrepresentable: "any" } as const;
  return {
    request: {
      $id: "urn:deployment-planner:schema:request",
      title: "Deployment request",
      ...z.toJSONSchema(requestSchema, options),
    },
    spec: {
      $id: "urn:deployment-planner:schema:stack-spec",
      title: "Stack spec",
      ...z.toJSONSchema(stackSpecSchema, { ...options, io: "output" }),
    },
  };
}

/** A schema as written to its file: stable key order, two-space indent, final newline. */
export function schemaFileText(schema: Record<string, unknown>): string {
  return JSON.stringify(schema, null, 2) + "\n";
}
