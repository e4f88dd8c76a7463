import { z } from "zod";
import { FAILURE_STAGES } from "../outcome";
import { requestSchema } from "../planner/request";
import { stackSpecSchema } from "../planner/spec";

/** The failure result (status, reason, stage, fix_suggestion), as every error response carries it. */
const errorSchema = z.object({
  status: z.literal("error"),
  reason: z.string(),
  stage: z.enum(FAILURE_STAGES),
  fix_suggestion: z.string(),
  problems: z.array(z.string()).optional(),
  log_file: z.string().optional(),
});

/** A planned request: the spec, or what a redeploy would re-apply. */
const planResultSchema = z.union([
  z.object({ status: z.literal("planned"), spec: stackSpecSchema, warnings: z.array(z.string()) }),
  z.object({ status: z.literal("redeploy"), intent: z.record(z.string(), z.unknown()), summary: z.string(), warnings: z.array(z.string()) }),
]);

/** A queued deployment's record. */
export const deploymentSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  stack: z.string(),
  operation: z.enum(["deploy", "rollback", "promote", "destroy"]),
  status: z.enum(["queued", "running", "succeeded", "failed", "superseded"]),
  result: z.record(z.string(), z.unknown()).nullable().describe("The operation's success or failure result, once finished."),
  attempts: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  requested_by: z.string().describe("Who queued it, as the service verified it: token:<id> for an API token, hook:<name> for a webhook."),
  requested_by_name: z.string().nullable().describe("The name of who queued it: the token's name (tokens create --name) or the hook's; null for a token that no longer exists."),
  deployer: z.string().nullable().describe("The request's deployer_id: a label the caller chose, not who queued it."),
  request: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .describe("GET /v1/deployments/{id} only: the deployment request a deploy was submitted with (secret references, never values); null for other operations."),
});

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1). */
export const jsonSchema = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });

/** An error response of the OpenAPI document: a failure result. */
export const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

/** The security requirement of a route that takes a bearer token. */
export const BEARER = [{ bearer: [] }];

/**
 * The API's OpenAPI 3.1 document: its components generated from the same zod schemas the planner validates with, its
 * `paths` from the schema each registered route declares (`openApiPaths`).
 */
export function openApiDocument(version: string, paths: Record<string, unknown>): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "Deployment Planner API", version, description: "Plan and deploy deployment requests on per-project Pulumi stacks." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token from 'deployment-planner tokens create'." } },
      schemas: {
        DeploymentRequest: jsonSchema(requestSchema, "input"),
        PlanResult: jsonSchema(planResultSchema, "output"),
        Error: jsonSchema(errorSchema, "output"),
        Deployment: jsonSchema(deploymentSchema, "output"),
      },
    },
    paths,
  };
}
