import { exitWhenEngineGone } from "../engine-watchdog";
import { RailwayClient } from "./api";

// Loaded only in the provider process the engine starts: it must not outlive that engine.
exitWhenEngineGone();

/**
 * The Railway project provider's logic, loaded by the dynamic provider at run time. The token comes from the deploying
 * process's environment (`RAILWAY_TOKEN`), never from inputs, so it is not stored in state.
 */

/** A datastore run as a Railway service from its template image. */
export interface RailwayDatastore {
  readonly engine: "postgres" | "mysql" | "mongodb" | "redis";
  /** App variable that receives the datastore's connection string. */
  readonly connectionEnv: string;
}

/** Inputs of a Railway project. */
export interface RailwayProjectInputs {
  readonly name: string;
  readonly environment: string;
  readonly serviceName: string;
  /** Image the app service runs. @default no source (connect a repository in Railway) */
  readonly image: string | null;
  readonly env: Record<string, string>;
  readonly secretEnv: Record<string, string>;
  readonly datastores: RailwayDatastore[];
}

/** Outputs of a Railway project. */
export interface RailwayProjectOutputs extends RailwayProjectInputs {
  readonly projectId: string;
  readonly environmentId: string;
  readonly serviceId: string;
  readonly datastoreServiceIds: Record<string, string>;
  readonly dashboardUrl: string;
}

/** Images of Railway's database templates, and the variable each exposes with its connection string. */
export const DATASTORE_TEMPLATES: Record<RailwayDatastore["engine"], { image: string; service: string; variable: string }> = {
  postgres: { image: "ghcr.io/railwayapp-templates/postgres-ssl:16", service: "postgres", variable: "DATABASE_URL" },
  mysql: { image: "mysql:8.4", service: "mysql", variable: "MYSQL_URL" },
  mongodb: { image: "mongo:7", service: "mongodb", variable: "MONGO_URL" },
  redis: { image: "bitnami/redis:7.2", service: "redis", variable: "REDIS_URL" },
};

/** The client, from the deploying environment: `RAILWAY_TOKEN`, and optionally `RAILWAY_API_URL` and `RAILWAY_API_TIMEOUT_MS`. */
function client(): RailwayClient {
  const token = process.env.RAILWAY_TOKEN || process.env.RAILWAY_API_TOKEN;
  if (!token) throw new Error("RAILWAY_TOKEN is not set in the deploying environment");
  const timeoutMs = Number(process.env.RAILWAY_API_TIMEOUT_MS) || undefined;
  return new RailwayClient({ token, url: process.env.RAILWAY_API_URL || undefined, timeoutMs });
}

/** The app's variables: its own, its secrets, and Railway references to each datastore's connection string. */
export function appVariables(inputs: RailwayProjectInputs): Record<string, string> {
  const references = Object.fromEntries(
    inputs.datastores.map((d) => {
      const template = DATASTORE_TEMPLATES[d.engine];
      // A reference variable: Railway fills in the value, so the connection string never passes through this product.
      return [d.connectionEnv, `\${{${template.service}.${template.variable}}}`];
    }),
  );
  return { ...inputs.env, ...inputs.secretEnv, ...references };
}

/**
 * Creates the project, its environment, the datastore services, the app service and its variables. Each create that
 * may have succeeded unseen is looked up before it is sent again, so a retried create never leaves a second one.
 */
export async function createProject(inputs: RailwayProjectInputs): Promise<{ id: string; outs: RailwayProjectOutputs }> {
  const api = client();
  const project = await api.createProject(inputs.name);
  try {
    const environmentId = project.environments.find((e) => e.name === inputs.environment)?.id ?? (await api.createEnvironment(project.id, inputs.environment)).id;
    const datastoreServiceIds: Record<string, string> = {};
    for (const store of inputs.datastores) {
      const template = DATASTORE_TEMPLATES[store.engine];
      datastoreServiceIds[store.engine] = (await api.createService(project.id, template.service, template.image, Object.values(datastoreServiceIds))).id;
    }
    const service = await api.createService(project.id, inputs.serviceName, inputs.image, Object.values(datastoreServiceIds));
    await api.upsertVariables(project.id, environmentId, service.id, appVariables(inputs));
    return {
      id: project.id,
      outs: {
        ...inputs,
        projectId: project.id,
        environmentId,
        serviceId: service.id,
        datastoreServiceIds,
        dashboardUrl: `https://railway.app/project/${project.id}`,
      },
    };
  } catch (error) {
    // Deleting the project removes everything created under it, so a failed create leaves nothing behind.
    await api.deleteProject(project.id).catch(() => undefined);
    throw error;
  }
}

/** Reads the project; one deleted outside Pulumi is reported gone. */
export async function readProject(id: string, props: RailwayProjectOutputs): Promise<{ id?: string; props?: RailwayProjectOutputs }> {
  return (await client().getProject(id)) ? { id, props } : {};
}

/** Upserts the app's variables in place (other changes replace the project). */
export async function updateProject(id: string, olds: RailwayProjectOutputs, news: RailwayProjectInputs): Promise<{ outs: RailwayProjectOutputs }> {
  await client().upsertVariables(id, olds.environmentId, olds.serviceId, appVariables(news));
  return { outs: { ...olds, ...news } };
}

/** Deletes the project and everything in it (already gone counts as deleted). */
export async function deleteProject(id: string): Promise<void> {
  const api = client();
  if (await api.getProject(id)) await api.deleteProject(id);
}

/** Variables update in place; a new name, environment, image or set of datastores replaces the project. */
export function diffProject(_id: string, olds: RailwayProjectOutputs, news: RailwayProjectInputs): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaceKeys: (keyof RailwayProjectInputs)[] = ["name", "environment", "serviceName", "image", "datastores"];
  const updateKeys: (keyof RailwayProjectInputs)[] = ["env", "secretEnv"];
  const differs = (key: keyof RailwayProjectInputs) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null);
  const replaces = replaceKeys.filter(differs);
  return { changes: replaces.length > 0 || updateKeys.some(differs), replaces, deleteBeforeReplace: true };
}
