import { z } from "zod";
import { readCatalogData } from "./catalog-file";
import { closestMatches, normalizeName } from "./names";
import { REQUEST_REGIONS } from "./request";
import { ENVIRONMENT_TIERS, TARGETS, resourcesSpecSchema, type EnvironmentTier, type Target } from "./spec";

const envEntrySchema = z.object({
  name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).describe("Variable name."),
  description: z.string().describe("What it is for."),
  default: z.string().optional().describe("Value used when the request gives none."),
});

const webhookEntrySchema = z.object({
  path: z.string().startsWith("/").describe("Path on the app that receives the webhook."),
  events: z.array(z.string()).min(1).describe("Events to subscribe to."),
  secret_env: z.string().optional().describe("Variable holding the signing secret."),
});

/** Schema of one catalog technology. */
export const technologySchema = z.object({
  id: z.string().regex(/^[a-z0-9]+$/).describe("Stable id used in specs."),
  name: z.string().describe("Display name."),
  aliases: z.array(z.string()).min(1).describe("Names a request may use; matched ignoring case and punctuation."),
  kind: z.enum(["frontend", "backend", "datastore", "service", "runtime"]).describe("Role in the stack."),
  description: z.string(),
  runs_as: z.enum(["static", "node", "container", "none"]).describe("How it builds and runs."),
  ssr: z.boolean().optional().describe("Renders on the server (needs a server or serverless functions)."),
  engine: z.enum(["postgres", "mysql", "mongodb", "redis", "sqlite"]).optional().describe("Datastore engine."),
  connection_env: z.string().optional().describe("Variable that carries the datastore's connection string."),
  build: z
    .object({
      install: z.string().optional(),
      build: z.string().optional(),
      start: z.string().optional(),
      output_dir: z.string().optional(),
      port: z.number().int().optional(),
      health_check_path: z.string().optional(),
    })
    .optional()
    .describe("How it is installed, built and started."),
  env: z.array(envEntrySchema).optional().describe("Plain variables it needs."),
  secrets: z.array(envEntrySchema).optional().describe("Secret variables it needs."),
  webhooks: z.array(webhookEntrySchema).optional().describe("Webhooks to register against the deployed URL."),
  next_steps: z.array(z.string()).optional().describe("What the user does after deploying."),
});
/** A catalog technology. */
export type Technology = z.infer<typeof technologySchema>;

/** Schema of one catalog target. */
export const targetEntrySchema = z.object({
  name: z.string(),
  description: z.string(),
  hosts: z.array(z.enum(["static", "node", "container"])).describe("Kinds of build it can run."),
  datastores: z.array(z.string()).describe("Datastore engines it can provide itself."),
  embedded_datastores: z.array(z.string()).describe("Engines that live inside the app (SQLite) it supports."),
  datastore_provisioning: z.enum(["managed", "container"]).optional().describe("How it provides datastores."),
  canary: z
    .array(z.enum(["static", "node", "container"]))
    .describe("Kinds of build it can roll out gradually (splitting traffic between two releases); empty: none."),
  custom_domains: z.boolean(),
  dashboard: z.string().optional().describe("Console URL."),
  regions: z
    .partialRecord(z.enum(["default", ...REQUEST_REGIONS]), z.string().regex(/^[a-z0-9][a-z0-9-]*$/))
    .refine((regions) => regions.default !== undefined, { message: "needs a 'default' region" })
    .describe("Generic request region -> the target's own region code; 'default' when the request names none."),
});
/** A catalog target. */
export type TargetEntry = z.infer<typeof targetEntrySchema>;

/** Schema of the defaults of one environment tier: compute, time-to-live and protection. */
export const tierDefaultsSchema = resourcesSpecSchema
  .extend({
    ttl_hours: z.number().int().positive().nullable().describe("Hours after which the environment may be destroyed; null: never."),
    protect: z.boolean().describe("Protect the stack's resources from accidental destroy."),
    auto_rollback: z.boolean().describe("Roll back by itself when an update fails its health check."),
    rollout: z.enum(["all_at_once", "canary"]).describe("Default rollout where the target can do it (else all at once, with a warning)."),
  })
  .refine((tier) => tier.min_instances <= tier.max_instances, { message: "min_instances is more than max_instances" });
/** The defaults of one environment tier. */
export type TierDefaults = z.infer<typeof tierDefaultsSchema>;

/** Schema of the catalog file. */
export const catalogSchema = z.object({
  technologies: z.array(technologySchema).min(1),
  targets: z.object(Object.fromEntries(TARGETS.map((t) => [t, targetEntrySchema])) as Record<Target, typeof targetEntrySchema>),
  tiers: z
    .object(Object.fromEntries(ENVIRONMENT_TIERS.map((t) => [t, tierDefaultsSchema])) as Record<EnvironmentTier, typeof tierDefaultsSchema>)
    .describe("Defaults per environment tier."),
});

/** The loaded, indexed catalog. */
export interface Catalog {
  readonly technologies: readonly Technology[];
  readonly targets: Readonly<Record<Target, TargetEntry>>;
  /** Compute, time-to-live and protection per environment tier. */
  readonly tiers: Readonly<Record<EnvironmentTier, TierDefaults>>;
  /** Looks a technology up by any alias, ignoring case and punctuation. */
  find(name: string): Technology | undefined;
  /** The closest known names, for "did you mean" messages. */
  suggest(name: string, limit?: number): string[];
}

export { closestMatches, normalizeName } from "./names";

/** Builds the indexed catalog from parsed data (validated). */
export function buildCatalog(data: unknown): Catalog {
  const parsed = catalogSchema.parse(data);
  const index = new Map<string, Technology>();
  for (const tech of parsed.technologies) {
    for (const alias of [tech.id, tech.name, ...tech.aliases]) {
      const key = normalizeName(alias);
      const existing = index.get(key);
      if (existing && existing.id !== tech.id) throw new Error(`catalog: alias '${alias}' names both ${existing.id} and ${tech.id}`);
      index.set(key, tech);
    }
  }
  return {
    technologies: parsed.technologies,
    targets: parsed.targets,
    tiers: parsed.tiers,
    find: (name) => index.get(normalizeName(name)),
    suggest: (name, limit = 3) => closestMatches(name, [...index.entries()].map(([alias, tech]) => [alias, tech.name] as const), limit),
  };
}

let cached: Catalog | undefined;

/** Loads and validates the catalog shipped with the package (once per process). */
export function loadCatalog(): Catalog {
  cached ??= buildCatalog(readCatalogData(__dirname));
  return cached;
}
