import { z } from "zod";
import { AWS_CONTAINER_SERVICES } from "./rules/aws-compute";

/**
 * The typed stack spec: the single contract between the planner, the Pulumi program (`src/stacks`) and the
 * components (`src/components`). It is written into each stack's config file, so everything in it is plain
 * data readable in a pull request. Secrets appear only as references, never as values.
 */

/** Deployment targets the product can deploy to. */
export const TARGETS = ["local", "docker", "vercel", "netlify", "railway", "aws", "gcp"] as const;
/** A deployment target. */
export type Target = (typeof TARGETS)[number];

/** Environment tiers a request can name in `environment.ENV` / `target_env`. */
export const ENVIRONMENT_TIERS = ["development", "preview", "staging", "production"] as const;
/** An environment tier. */
export type EnvironmentTier = (typeof ENVIRONMENT_TIERS)[number];

/** Kinds of deployment a request can ask for (`deployment_type`). */
export const DEPLOYMENT_TYPES = [
  "cloud_saas",
  "static_site",
  "fullstack",
  "container",
  "api",
  "local",
  "preview_only",
] as const;
/** A deployment type. */
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

/** How a built app runs: files served as they are, a Node.js server process, or a container image. */
export const BUILD_KINDS = ["static", "node", "container"] as const;
/** A build kind. */
export type BuildKind = (typeof BUILD_KINDS)[number];

/** Maximum length of an identifier that becomes part of a stack name or a path. */
export const MAX_IDENTIFIER_LENGTH = 63;

/**
 * An identifier safe to use in a stack name and a file path: starts with a letter or digit, then letters, digits,
 * `-` or `_`; no dots, separators, whitespace or `..`.
 */
export const identifierSchema = z
  .string()
  .min(1)
  .max(MAX_IDENTIFIER_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
    message: "must start with a letter or digit and contain only letters, digits, '-' and '_'",
  });

/**
 * A secret reference: `env:NAME`, `file:path#KEY` or `vault:path#key[@version]`. Only the reference is stored;
 * its value is resolved at deploy time and handled as a Pulumi secret.
 */
export const secretRefSchema = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^(env|file|vault):\S+$/, { message: "must be a reference of the form env:NAME, file:path#KEY or vault:path#key" })
  .describe("A secret reference (env:NAME, file:path#KEY, vault:path#key[@version]); never a secret value.");

/** An environment variable name as POSIX shells accept it. */
export const envVarNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be a valid environment variable name" })
  .max(255);

/** A recorded planning decision and why it was taken, shown by `plan --explain`. */
export const decisionSchema = z.object({
  topic: z.string().describe("What was decided, e.g. 'target', 'region', 'service:mongodb'."),
  choice: z.string().describe("The chosen value."),
  reason: z.string().describe("Why, in a sentence a person can check."),
});
/** A recorded planning decision. */
export type Decision = z.infer<typeof decisionSchema>;

/** How the app is built and run. */
export const buildSchema = z.object({
  kind: z.enum(BUILD_KINDS).describe("static: files served as they are; node: a Node.js server; container: an image."),
  framework: z.string().nullable().describe("Catalog id of the main framework, e.g. 'nextjs'; null for plain apps."),
  source: z
    .string()
    .nullable()
    .describe("The app's source directory: absolute in a plan, relative to the workspace in a stack file; null when the request names none (the planner's job stops at the spec)."),
  install_command: z.string().nullable().describe("Command that installs dependencies, or null when there are none."),
  build_command: z.string().nullable().describe("Command that builds the app, or null when the source is deployable as it is."),
  output_dir: z.string().nullable().describe("Directory, relative to source, that holds the built static files (static builds)."),
  start_command: z.string().nullable().describe("Command that starts the server (node and container builds)."),
  port: z.number().int().min(1).max(65535).describe("Port the server listens on inside its host; the app reads it from PORT."),
  health_check_path: z.string().startsWith("/").describe("HTTP path that answers 2xx/3xx when the app is healthy."),
});
/** How the app is built and run. */
export type BuildSpec = z.infer<typeof buildSchema>;

/** How a datastore or external service is provided for this stack. */
export const SERVICE_PROVISIONING = ["managed", "container", "embedded", "external"] as const;

/** A datastore or integration the app uses, and how this stack provides it. */
export const serviceSpecSchema = z.object({
  id: z.string().describe("Catalog id, e.g. 'mongodb', 'stripe'."),
  name: z.string().describe("Display name, e.g. 'MongoDB'."),
  kind: z.enum(["datastore", "integration"]).describe("A datastore the stack may host, or a third-party integration."),
  provisioning: z
    .enum(SERVICE_PROVISIONING)
    .describe(
      "managed: created by the target's cloud; container: run beside the app; embedded: lives in the app (SQLite); external: provided by the user through a secret.",
    ),
  engine: z.string().nullable().describe("Engine of a datastore, e.g. 'postgres', 'mysql', 'mongodb', 'redis'; null for integrations."),
  connection_env: z.string().nullable().describe("Environment variable that carries its connection string, if any."),
});
/** A datastore or integration of the stack. */
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

/** A secret the app needs: the variable it is exposed as and where its value comes from. */
export const secretSpecSchema = z.object({
  name: envVarNameSchema.describe("Environment variable the value is exposed as."),
  ref: secretRefSchema,
  required_by: z.array(z.string()).describe("Catalog ids (or 'request') that need this secret."),
});
/** A secret reference of the stack. */
export type SecretSpec = z.infer<typeof secretSpecSchema>;

/** A webhook a service needs registered against the deployed URL. */
export const webhookSpecSchema = z.object({
  service: z.string().describe("Catalog id of the service that sends it."),
  path: z.string().startsWith("/").describe("Path on the deployed app that receives it."),
  events: z.array(z.string()).describe("Events to subscribe to."),
  secret_env: z.string().nullable().describe("Variable holding the signing secret, if any."),
});
/** A webhook of the stack. */
export type WebhookSpec = z.infer<typeof webhookSpecSchema>;

/** Compute given to the app. */
export const resourcesSpecSchema = z.object({
  memory_mb: z.number().int().min(64).max(65536).describe("Memory per instance in MiB."),
  cpu: z.number().min(0.125).max(16).describe("vCPUs per instance."),
  min_instances: z.number().int().min(0).max(100).describe("Instances kept running."),
  max_instances: z.number().int().min(1).max(1000).describe("Upper bound when scaling out."),
});
/** Compute given to the app. */
export type ResourcesSpec = z.infer<typeof resourcesSpecSchema>;

/** How a new release replaces the old one. */
export const rolloutSpecSchema = z.discriminatedUnion("strategy", [
  z.object({ strategy: z.literal("all_at_once").describe("The new release takes all traffic once healthy.") }),
  z.object({
    strategy: z.literal("canary").describe("Traffic moves to the new release in steps, each gated on health checks."),
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .describe("Percentages of traffic at each step, increasing, ending at 100."),
    step_interval_seconds: z.number().int().min(0).max(86400).describe("How long each step is observed before the next."),
    max_error_rate: z.number().min(0).max(1).describe("Share of the new release's requests that may fail (5xx or no answer) before the rollout aborts."),
    min_requests: z.number().int().min(1).describe("Requests the new release must have served in a step before its error rate counts."),
  }),
]);
/** How a new release replaces the old one. */
export type RolloutSpec = z.infer<typeof rolloutSpecSchema>;

/** Account-level placement on the target, beyond the region; null takes the deploying environment's setting. */
export const targetSettingsSpecSchema = z
  .object({
    gcp_project: z.string().nullable().describe("GCP project id; null: GOOGLE_PROJECT of the deploying environment."),
    vercel_team: z.string().nullable().describe("Vercel team slug or id; null: VERCEL_TEAM, else the token's own account."),
    docker_host: z.string().nullable().describe("Docker engine address; null: DOCKER_HOST, else the local socket."),
    aws_container_service: z
      .enum(AWS_CONTAINER_SERVICES)
      .optional()
      .describe("AWS service that runs a node or container app, when the request named one; absent: ECS Express Mode."),
  })
  .default({ gcp_project: null, vercel_team: null, docker_host: null });
/** Account-level placement on the target. */
export type TargetSettings = z.infer<typeof targetSettingsSpecSchema>;

/** The bundle produced by the packager; filled in at deploy time, absent from a plan. */
export const artifactSpecSchema = z.object({
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).describe("Content digest of the bundle."),
  path: z
    .string()
    .describe("Path of the unpacked bundle relative to the workspace ('.deployment-planner/bundles/<digest>'), so stack files and state hold no machine path."),
});
/** The packaged bundle of a deployment. */
export type ArtifactSpec = z.infer<typeof artifactSpecSchema>;

/** Current version of the stack spec format. */
export const STACK_SPEC_VERSION = 1 as const;

/** The typed stack spec. */
export const stackSpecSchema = z.object({
  spec_version: z.literal(STACK_SPEC_VERSION).describe("Version of this format."),
  project_id: identifierSchema.describe("Project the stack belongs to."),
  environment: identifierSchema.describe("Environment name; the tier, or the tier with a suffix such as 'preview-pr-42'."),
  tier: z.enum(ENVIRONMENT_TIERS).describe("Environment tier that sets the defaults."),
  stack: z.string().describe("Stack name, '<project_id>.<environment>'."),
  deployment_type: z.enum(DEPLOYMENT_TYPES).describe("What the request asked for."),
  target: z.enum(TARGETS).describe("Where the stack deploys."),
  region: z.string().describe("The target's own region code, e.g. 'iad1' on Vercel, 'us-east1' on GCP."),
  target_settings: targetSettingsSpecSchema,
  request_region: z.string().nullable().describe("Region as the request named it, e.g. 'us-east-1'."),
  tech_stack: z.array(z.string()).describe("Catalog ids of the technologies, in request order."),
  build: buildSchema,
  services: z.array(serviceSpecSchema),
  env: z.record(envVarNameSchema, z.string()).describe("Plain (non-secret) environment variables."),
  secrets: z.array(secretSpecSchema).describe("Secret references; values never appear in a spec."),
  webhooks: z.array(webhookSpecSchema),
  resources: resourcesSpecSchema,
  rollout: rolloutSpecSchema,
  domain: z.string().nullable().describe("Custom domain, or null for the target's own URL."),
  public: z.boolean().describe("Whether the app is reachable by anyone (true) or only by authenticated callers."),
  protect: z.boolean().describe("Protect resources from accidental deletion (production)."),
  auto_rollback: z
    .boolean()
    .default(false)
    .describe("Roll back to the previous healthy version when an update fails its health check (on by default for staging and production)."),
  ttl_hours: z.number().int().positive().nullable().describe("Hours after which a preview environment may be destroyed."),
  version_name: z.string().nullable().describe("Release name, e.g. 'v3.2'."),
  deployer_id: z.string().nullable().describe("Who asked for the deployment."),
  user_id: z.string().nullable().describe("Owner of the project."),
  artifact: artifactSpecSchema.nullable().describe("The packaged bundle; null until the packager runs."),
  decisions: z.array(decisionSchema),
  next_steps: z.array(z.string()),
});

/** The typed stack spec consumed by `src/stacks` and `src/components`. */
export type StackSpec = z.infer<typeof stackSpecSchema>;

/** Name of the Pulumi stack for a project and environment. */
export function stackNameFor(projectId: string, environment: string): string {
  return `${projectId}.${environment}`;
}
