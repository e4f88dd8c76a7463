import { z } from "zod";
import { FAILURE_STAGES } from "../outcome";
import { requestSchema } from "../planner/request";
import { stackSpecSchema } from "../planner/spec";

/** The brief's error object, as every error response carries it. */
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
const deploymentSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  stack: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  result: z.record(z.string(), z.unknown()).nullable().describe("The brief's success or error object, once finished."),
  attempts: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

const jsonSchema = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" });

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

/**
 * The API's OpenAPI 3.1 document, generated from the same zod schemas the planner validates with. `routes` is the
 * server's own route list, so a route missing here is a failing test, not a silent gap.
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const bearer = [{ bearer: [] }];
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
    paths: {
      "/healthz": { get: { summary: "The process is up.", responses: { "200": { description: "Up." } } } },
      "/readyz": { get: { summary: "The database answers.", responses: { "200": { description: "Ready." }, "503": errorResponse("The database does not answer.") } } },
      "/openapi.json": { get: { summary: "This document.", responses: { "200": { description: "The OpenAPI document." } } } },
      "/metrics": { get: { summary: "Queue depth, running and finished deployments by outcome and stage, durations (Prometheus text format).", responses: { "200": { description: "The metrics.", content: { "text/plain": { schema: { type: "string" } } } } } } },
      "/v1/plan": {
        post: {
          summary: "Plan a deployment request; no side effects.",
          security: bearer,
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/DeploymentRequest" } } } },
          responses: {
            "200": { description: "The plan.", content: { "application/json": { schema: { $ref: "#/components/schemas/PlanResult" } } } },
            "400": errorResponse("The request is invalid."),
            "401": errorResponse("No valid token."),
            "403": errorResponse("The token may not read this project."),
            "413": errorResponse("The body is too large."),
            "422": errorResponse("The request cannot be planned as asked."),
            "429": errorResponse("Too many requests for this token."),
          },
        },
      },
      "/v1/deployments": {
        post: {
          summary: "Queue a deployment; 202 with its record (200 with the first one for a repeated Idempotency-Key).",
          security: bearer,
          parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 200 } }],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/DeploymentRequest" } } } },
          responses: {
            "202": { description: "Queued.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
            "200": { description: "The deployment this Idempotency-Key queued before.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
            "400": errorResponse("The request is invalid."),
            "401": errorResponse("No valid token."),
            "403": errorResponse("The token may not deploy this project."),
            "413": errorResponse("The body is too large."),
            "422": errorResponse("The request cannot be planned as asked."),
            "429": errorResponse("Too many requests for this token."),
          },
        },
      },
      "/v1/deployments/{id}/events": {
        get: {
          summary: "Server-sent events: a 'progress' event per progress line (ids resume with Last-Event-ID), then one 'result' event with the finished deployment.",
          security: bearer,
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } },
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "The event stream.", content: { "text/event-stream": { schema: { type: "string" } } } },
            "401": errorResponse("No valid token."),
            "404": errorResponse("No such deployment for this token."),
          },
        },
      },
      "/v1/deployments/{id}": {
        get: {
          summary: "A deployment: queued, running, then the brief's success or error object as its result.",
          security: bearer,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: {
            "200": { description: "The deployment.", content: { "application/json": { schema: { $ref: "#/components/schemas/Deployment" } } } },
            "401": errorResponse("No valid token."),
            "404": errorResponse("No such deployment for this token."),
          },
        },
      },
    },
  };
}
