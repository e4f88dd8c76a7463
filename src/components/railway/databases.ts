import { createOnce } from "../http-retry";
import type { RailwayClient, RailwayNamed } from "./api";

/** A datastore Railway runs from its own database template. */
export type RailwayEngine = "postgres" | "mysql" | "mongodb" | "redis";

/**
 * Railway's database templates, by the codes its CLI deploys them with (`railway add --database`), and the variable
 * each template's service exposes with its connection string (Railway's database guides).
 */
export const DATABASE_TEMPLATES: Readonly<Record<RailwayEngine, { readonly code: string; readonly variable: string }>> = {
  postgres: { code: "postgres", variable: "DATABASE_URL" },
  mysql: { code: "mysql", variable: "MYSQL_URL" },
  mongodb: { code: "mongo", variable: "MONGO_URL" },
  redis: { code: "redis", variable: "REDIS_URL" },
};

/** A database service a template made, and the reference variable that reads its connection string. */
export interface RailwayDatabase extends RailwayNamed {
  /** `${{Postgres.DATABASE_URL}}`: Railway fills in the value, so the connection string never passes through this product. */
  readonly reference: string;
}

/** Where a database goes. */
export interface DatabasePlacement {
  readonly projectId: string;
  readonly environmentId: string;
  /** Region the database runs in. @default Railway's choice */
  readonly region: string | null;
  /** The project's services before this deployment began; a new service is never one of them. */
  readonly taken: readonly string[];
}

type TemplateVariable = { value?: unknown; defaultValue?: unknown; isOptional?: unknown } | null;
type TemplateService = { name?: unknown; variables?: Record<string, TemplateVariable>; deploy?: Record<string, unknown> };

/**
 * The template's serialized configuration made ready to deploy, as Railway's CLI makes it: every variable that has a
 * default takes it as its value. Also returns the name of the service that exposes `variable`, and runs every service
 * in `region`. Fails when the template needs a value this product has none for, or no longer exposes `variable`.
 */
export function prepareTemplateConfig(serializedConfig: unknown, code: string, variable: string, region: string | null): { config: Record<string, unknown>; serviceName: string } {
  const config = structuredClone((serializedConfig ?? {}) as Record<string, unknown>);
  const services = (config.services ?? {}) as Record<string, TemplateService>;
  let serviceName: string | null = null;
  for (const service of Object.values(services)) {
    const name = String(service.name ?? "");
    for (const [key, entry] of Object.entries(service.variables ?? {})) {
      if (entry === null || entry.value !== undefined) continue;
      if (typeof entry.defaultValue === "string" && entry.defaultValue !== "") entry.value = entry.defaultValue;
      else if (entry.isOptional !== true) throw new Error(`Railway's ${code} template needs a value for ${name}.${key}, which has no default`);
    }
    if (service.variables?.[variable]) serviceName ??= name;
    if (region) service.deploy = { ...service.deploy, multiRegionConfig: { [region]: { numReplicas: 1 } } };
  }
  if (!serviceName) throw new Error(`Railway's ${code} template has no service exposing ${variable}`);
  return { config, serviceName };
}

/**
 * Adds a database to an environment from Railway's template for it, the way Railway's CLI adds one: reads the
 * template's serialized configuration, deploys it with `templateDeployV2`, waits for the deploy's workflow, and finds
 * the service it made. A deploy that may have succeeded unseen is looked up (a new service of the template's name)
 * before it is sent again.
 */
export async function deployDatabase(api: RailwayClient, engine: RailwayEngine, placement: DatabasePlacement): Promise<RailwayDatabase> {
  const { code, variable } = DATABASE_TEMPLATES[engine];
  const template = await api.getTemplate(code);
  const { config, serviceName } = prepareTemplateConfig(template.serializedConfig, code, variable, placement.region);
  const made = async (): Promise<RailwayNamed | null> => {
    const project = await api.getProject(placement.projectId);
    const fresh = project?.services.filter((s) => !placement.taken.includes(s.id)) ?? [];
    return fresh.find((s) => s.name === serviceName) ?? null;
  };
  const deployed = await createOnce<{ workflowId: string | null }>({
    create: async () => ({
      workflowId: await api.deployTemplate({ projectId: placement.projectId, environmentId: placement.environmentId, templateId: template.id, serializedConfig: config }),
    }),
    find: async () => ((await made()) ? { workflowId: null } : null),
  });
  if (deployed.workflowId) await api.waitForWorkflow(deployed.workflowId, `templateDeployV2 (${code})`);
  const service = await made();
  if (!service) throw new Error(`Railway's ${code} template deployed no service named ${serviceName}`);
  if (placement.region) await api.placeService(service.id, placement.environmentId, placement.region);
  return { ...service, reference: `\${{${service.name}.${variable}}}` };
}
