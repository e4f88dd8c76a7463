import { z } from "zod";
import {
  DEPLOYMENT_TYPES,
  ENVIRONMENT_TIERS,
  TARGETS,
  envVarNameSchema,
  identifierSchema,
  secretRefSchema,
} from "./spec";
import { AWS_CONTAINER_SERVICES } from "./rules/aws-compute";
import { closestMatches, normalizeName } from "./names";

/**
 * Generic request regions, in AWS-style naming (`us-east-1`); each target maps them to its own code in the
 * catalog. A request may also name a target's own code (see `environment.REGION`).
 */
export const REQUEST_REGIONS = [
  "local",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-north-1",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "sa-east-1",
] as const;

const hostnameSchema = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, { message: "must be a domain name such as app.example.com" });

const rolloutRequestSchema = z.union([
  z.literal("all_at_once").describe("Shorthand for { strategy: all_at_once }."),
  z.literal("canary").describe("Shorthand for a canary with the default steps 10, 50, 100."),
  z.strictObject({ strategy: z.literal("all_at_once") }),
  z.strictObject({
    strategy: z.literal("canary"),
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(10)
      .refine((steps) => steps.every((s, i) => i === 0 || s > steps[i - 1]!), { message: "must increase" })
      .refine((steps) => steps[steps.length - 1] === 100, { message: "must end at 100" })
      .optional()
      .describe("Traffic percentages per step, increasing, ending at 100. @default [10, 50, 100]"),
    step_interval_seconds: z.number().int().min(0).max(86400).optional().describe("Observation time per step. @default 300"),
    max_error_rate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("Highest share of the new release's requests that may fail (5xx or no answer) before the rollout aborts. @default 0.05"),
    min_requests: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe("Requests the new release must have served in a step before the step can pass or fail on its error rate. @default 20"),
  }),
]);

/** Account-level placement on a target, beyond the region. */
export const targetSettingsRequestSchema = z.strictObject({
  gcp_project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/)
    .optional()
    .describe("GCP project id, e.g. 'acme-prod-123'. @default GOOGLE_PROJECT (or GOOGLE_CLOUD_PROJECT) of the deploying environment"),
  vercel_team: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional()
    .describe("Vercel team slug or id, e.g. 'acme'. @default VERCEL_TEAM of the deploying environment, else the token's personal account"),
  docker_host: z
    .string()
    .max(512)
    .regex(/^(unix|tcp|ssh):\/\/\S+$/)
    .optional()
    .describe("Docker engine address, e.g. 'unix:///var/run/docker.sock' or 'ssh://deploy@build-host'. @default DOCKER_HOST of the deploying environment, else the local socket"),
  aws_container_service: z
    .enum(AWS_CONTAINER_SERVICES)
    .optional()
    .describe(
      "The AWS service that runs a node or container app: 'ecs_express' (ECS Express Mode) or 'app_runner', for an AWS account that still has App Runner (closed to new customers from 30 April 2026). @default ecs_express",
    ),
});

/** The deployment request: deploy a project. */
export const deploymentRequestSchema = z
  .strictObject({
    user_id: z.string().min(1).max(128).optional().describe("Owner of the project, e.g. 'u-1024'."),
    project_id: identifierSchema.describe("Project to deploy, e.g. 'pf-789'; part of the stack name."),
    deployment_type: z
      .enum(DEPLOYMENT_TYPES)
      .describe(
        "cloud_saas: a SaaS web app (SSR front end, services); static_site: files only; fullstack: front end, API and database; container: any server image; api: a back-end service; local: run on this machine; preview_only: plan and preview, change nothing.",
      ),
    tech_stack: z.array(z.string().min(1).max(64)).min(1).max(30).describe("Technologies, matched against the catalog, e.g. ['Next.js', 'MongoDB', 'Stripe']."),
    environment: z
      .strictObject({
        ENV: z.enum(ENVIRONMENT_TIERS).describe("development, preview, staging or production."),
        // A string rather than an enum: which names are valid depends on the catalog (a data file a caller may
        // replace) and on the chosen target, so the planner checks the name against the catalog's region maps at
        // stage validation, with "did you mean". The description says which spellings are accepted.
        REGION: z
          .string()
          .max(64)
          .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, { message: "must be a region name such as 'us-east-1' or 'fra1'" })
          .optional()
          .describe(
            `Where to deploy. Either spelling is accepted: a generic name (${REQUEST_REGIONS.join(", ")}), mapped to the target's own code, or a target's own code (Vercel 'fra1', GCP 'europe-west1', Railway 'us-west2', AWS 'eu-west-1'), kept on that target and mapped back through its generic name on another. Case is ignored; a name no target knows is rejected. @default the target's default region`,
          ),
        NAME: identifierSchema
          .optional()
          .describe("Suffix for several environments of one tier, e.g. 'pr-42' gives the environment 'preview-pr-42'."),
      })
      .describe("The environment to deploy into."),
    source: z.string().min(1).max(4096).optional().describe("Directory of the app to deploy; relative to the request file."),
    target: z.enum(TARGETS).optional().describe("An explicit deployment target; wins when it can host the stack."),
    target_settings: targetSettingsRequestSchema
      .optional()
      .describe("Where on the target the stack lives (GCP project, Vercel team, Docker host) and which AWS service runs it; each defaults to the deploying environment's setting."),
    domain: hostnameSchema.optional().describe("Custom domain, e.g. 'mycourse.com'."),
    env: z.record(envVarNameSchema, z.string().max(32768)).optional().describe("Plain environment variables."),
    secrets: z.record(envVarNameSchema, secretRefSchema).optional().describe("Variable name -> secret reference."),
    resources: z
      .strictObject({
        memory_mb: z.number().int().min(128).max(32768).optional().describe("Memory per instance in MiB."),
        cpu: z.number().min(0.125).max(16).optional().describe("vCPUs per instance."),
        instances: z.number().int().min(1).max(100).optional().describe("Instances to run (sets both minimum and maximum)."),
        min_instances: z.number().int().min(0).max(100).optional(),
        max_instances: z.number().int().min(1).max(1000).optional(),
      })
      .optional()
      .describe("Compute; defaults depend on the environment tier."),
    rollout: rolloutRequestSchema.optional().describe("all_at_once (default) or canary with percentage steps."),
    public: z.boolean().optional().describe("Whether anyone may reach the app. @default true"),
    ttl_hours: z.number().int().min(1).max(24 * 90).optional().describe("Hours after which a preview may be destroyed."),
    auto_rollback: z
      .boolean()
      .optional()
      .describe("Roll back to the previous healthy version by itself when the new one fails its health check. @default true for staging and production"),
    version_name: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).optional().describe("Release name, e.g. 'v3.2'."),
    deployer_id: z.string().min(1).max(128).optional().describe("Who asked for the deployment, e.g. 'user_129'."),
  })
  .describe("A deployment request.");

/** A deployment request as parsed. */
export type DeploymentRequest = z.infer<typeof deploymentRequestSchema>;

/** The redeploy request: redeploy a project's environment under a new version name. */
export const redeployRequestSchema = z
  .strictObject({
    project_id: identifierSchema.describe("Project to redeploy."),
    target_env: identifierSchema.describe("Environment to redeploy, e.g. 'production' or 'preview-pr-42'."),
    deployer_id: z.string().min(1).max(128).describe("Who asked for the redeploy."),
    version_name: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).describe("Release name to record."),
  })
  .describe("A redeploy request, resolved against the stack's history.");

/** A redeploy request as parsed. */
export type RedeployRequest = z.infer<typeof redeployRequestSchema>;

/** Either request shape; JSON Schema consumers see a oneOf. */
export const requestSchema = z.union([deploymentRequestSchema, redeployRequestSchema]);

/** True when a document looks like the redeploy shape (it names `target_env` and no `deployment_type`). */
export function isRedeployShape(document: unknown): boolean {
  return (
    typeof document === "object" &&
    document !== null &&
    !Array.isArray(document) &&
    "target_env" in document &&
    !("deployment_type" in document)
  );
}

/**
 * Flattens zod issues into `path: message` lines that name the field and quote the bad value, with "did you mean" for
 * a misspelt field or value (as for regions and technologies).
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const schema: z.ZodType = isRedeployShape(input) ? redeployRequestSchema : deploymentRequestSchema;
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "request";
    const got = valueAt(input, issue.path);
    // A value where a secret reference belongs may be the secret itself: never repeat it.
    if (issue.path[0] === "secrets" && issue.path.length === 2 && typeof got === "string") {
      return `${where}: must be a secret reference (env:NAME, file:path#KEY or vault:path#key); the value given is not shown`;
    }
    switch (issue.code) {
      case "invalid_value":
        if (got === undefined) return `${where}: is required (one of [${issue.values.map(String).join(", ")}])`;
        return `${where}: expected one of [${issue.values.map(String).join(", ")}] but got ${quote(got)}${suggestion(got, issue.values.map(String))}`;
      case "invalid_type":
        return got === undefined ? `${where}: is required` : `${where}: expected ${issue.expected} but got ${kindOf(got)} ${quote(got)}`;
      case "unrecognized_keys": {
        const known = fieldsAt(schema, issue.path);
        if (issue.keys.length === 1) return `${where}: unknown field '${issue.keys[0]}'${suggestion(issue.keys[0], known)}`;
        const named = issue.keys.map((k) => {
          const close = closestTo(k, known);
          return close.length > 0 ? `'${k}' (did you mean ${close.map((c) => `'${c}'`).join(" or ")}?)` : `'${k}'`;
        });
        return `${where}: unknown fields ${named.join(", ")}`;
      }
      case "invalid_union":
        return unionChoice(issue, input) ?? `${where}: ${issue.message} (got ${quote(got)})`;
      default:
        return `${where}: ${issue.message}${got !== undefined && typeof got !== "object" ? ` but got ${quote(got)}` : ""}`;
    }
  });
}

/** The closest of `candidates` to a string value (or those it begins, "prod" for "production"), best first. */
function closestTo(value: unknown, candidates: readonly string[]): string[] {
  if (typeof value !== "string") return [];
  const close = closestMatches(value, candidates.map((c) => [c, c] as const), 2).filter((c) => c !== value);
  if (close.length > 0) return close;
  const key = normalizeName(value);
  return key.length < 2 ? [] : candidates.filter((c) => normalizeName(c).startsWith(key)).slice(0, 2);
}

/** "; did you mean 'x'?" for the closest candidates to a value, or nothing, as regions and technologies word it. */
function suggestion(value: unknown, candidates: readonly string[]): string {
  const close = closestTo(value, candidates);
  return close.length > 0 ? `; did you mean ${close.map((c) => `'${c}'`).join(" or ")}?` : "";
}

/** Definition of a zod schema, as far as walking to a field's known keys needs it. */
interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The field names an object at `path` of `schema` accepts (every object member of a union's), for suggestions. */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType[] = [schema];
  for (const key of [...path, null]) {
    const next: z.ZodType[] = [];
    const visit = (s: z.ZodType): void => {
      const def = defOf(s);
      if (def.innerType) return visit(def.innerType);
      if (def.in) return visit(def.in);
      if (def.options) return def.options.forEach(visit);
      if (key === null) {
        if (def.shape) next.push(s);
        return;
      }
      if (def.shape && typeof key === "string" && def.shape[key]) next.push(def.shape[key]!);
      else if (def.element && typeof key === "number") next.push(def.element);
      else if (def.valueType && typeof key === "string") next.push(def.valueType);
    };
    current.forEach(visit);
    current = next;
  }
  return [...new Set(current.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/**
 * A union's failure read as the choice it is: the literal values its members accept at the deepest place the input
 * holds a string (`rollout: 'canery'`, `rollout.strategy: 'canery'`), with "did you mean"; null when it is not one.
 */
function unionChoice(issue: z.core.$ZodIssueInvalidUnion, input: unknown): string | null {
  const byPath = new Map<string, { path: PropertyKey[]; values: string[] }>();
  let objectAccepted = false;
  for (const member of issue.errors) {
    for (const nested of member) {
      if (nested.code === "invalid_type" && nested.path.length === 0 && nested.expected === "object") objectAccepted = true;
      if (nested.code !== "invalid_value") continue;
      const path = [...issue.path, ...nested.path];
      const key = path.map(String).join(".");
      const entry = byPath.get(key) ?? { path, values: [] };
      for (const value of nested.values) if (!entry.values.includes(String(value))) entry.values.push(String(value));
      byPath.set(key, entry);
    }
  }
  const choices = [...byPath.values()].filter((c) => typeof valueAt(input, c.path) === "string").sort((a, b) => b.path.length - a.path.length);
  const choice = choices[0];
  if (!choice) return null;
  const got = valueAt(input, choice.path);
  const alternative = choice.path.length === issue.path.length && objectAccepted ? " or an object" : "";
  return `${choice.path.map(String).join(".")}: expected one of [${choice.values.join(", ")}]${alternative} but got ${quote(got)}${suggestion(got, choice.values)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function quote(value: unknown): string {
  if (typeof value === "string") return `'${value.length > 80 ? value.slice(0, 77) + "..." : value}'`;
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}
