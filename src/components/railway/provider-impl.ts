import { exitWhenEngineGone } from "../engine-watchdog";
import { RAILWAY_DASHBOARD, RailwayClient } from "./api";
import { railwayCredential, TOKEN_VARIABLES, type RailwayTokenKind } from "./credentials";
import { deployDatabase, type RailwayEngine } from "./databases";
import { hasServiceDomain, syncDomains, type RailwayServiceDomains } from "./domains";
import { providerEnv } from "../provider-environment";

// Loaded only in the provider process the engine starts: it must not outlive that engine.
exitWhenEngineGone();

/**
 * The Railway project provider's logic, loaded by the dynamic provider at run time. Tokens come from the deploying
 * process's environment (`RAILWAY_API_TOKEN`, `RAILWAY_TOKEN`), never from inputs, so they are not stored in state.
 */

/** A datastore run as a Railway service from Railway's database template. */
export interface RailwayDatastore {
  readonly engine: RailwayEngine;
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
  /** Railway region every service runs in (`us-east4-eqdc4a`). @default Railway's choice */
  readonly region?: string | null;
  /** Port the app listens on, which its public domains route to. @default Railway's choice */
  readonly targetPort?: number | null;
  /** Custom domain of the app, e.g. `shop.example.com`. @default none */
  readonly customDomain?: string | null;
}

/** Outputs of a Railway project. */
export interface RailwayProjectOutputs extends RailwayProjectInputs, Partial<RailwayServiceDomains> {
  readonly projectId: string;
  readonly environmentId: string;
  readonly serviceId: string;
  readonly datastoreServiceIds: Record<string, string>;
  /** Each datastore's reference variable (`${{Postgres.DATABASE_URL}}`), by engine. */
  readonly datastoreReferences: Record<string, string>;
  /** False when the services were deployed into the existing project of a project token, which then stays. */
  readonly ownsProject: boolean;
  readonly dashboardUrl: string;
}

/**
 * A client for the deploying environment's token, the `preferred` kind first; optionally `RAILWAY_WORKSPACE_ID`,
 * `RAILWAY_API_URL`, `RAILWAY_API_TIMEOUT_MS` and `RAILWAY_WORKFLOW_POLL_MS`.
 */
function client(preferred: RailwayTokenKind): RailwayClient {
  const env = providerEnv();
  const credential = railwayCredential(env, preferred);
  if (!credential) throw new Error(`Neither ${TOKEN_VARIABLES.account} nor ${TOKEN_VARIABLES.project} is set in the deploying environment`);
  return new RailwayClient({
    credential,
    url: env.RAILWAY_API_URL || undefined,
    workspaceId: env.RAILWAY_WORKSPACE_ID || undefined,
    timeoutMs: Number(env.RAILWAY_API_TIMEOUT_MS) || undefined,
    workflowPollMs: Number(env.RAILWAY_WORKFLOW_POLL_MS) || undefined,
  });
}

/** The client for work on an existing resource: the token kind that made it first. */
function clientFor(outs: Pick<RailwayProjectOutputs, "ownsProject">): RailwayClient {
  return client(outs.ownsProject === false ? "project" : "account");
}

/** The app's variables: its own, its secrets, and each datastore's reference variable. */
export function appVariables(inputs: RailwayProjectInputs, references: Readonly<Record<string, string>>): Record<string, string> {
  const wired = inputs.datastores.filter((d) => references[d.engine]).map((d) => [d.connectionEnv, references[d.engine]!]);
  return { ...inputs.env, ...inputs.secretEnv, ...Object.fromEntries(wired) };
}

/** What `deployServices` made. */
type Deployed = Pick<RailwayProjectOutputs, "serviceId" | "datastoreServiceIds" | "datastoreReferences"> & RailwayServiceDomains;

/**
 * Deploys the datastores from Railway's templates and the app service into one environment, runs them in the
 * region and sets the app's variables. `before` are the project's services before; every service made is pushed
 * onto `made` as soon as it exists, so a failure can remove them.
 */
async function deployServices(api: RailwayClient, projectId: string, environmentId: string, inputs: RailwayProjectInputs, before: readonly string[], made: string[]): Promise<Deployed> {
  const region = inputs.region ?? null;
  const datastoreServiceIds: Record<string, string> = {};
  const datastoreReferences: Record<string, string> = {};
  for (const store of inputs.datastores) {
    const database = await deployDatabase(api, store.engine, { projectId, environmentId, region, taken: [...before, ...made] });
    made.push(database.id);
    datastoreServiceIds[store.engine] = database.id;
    datastoreReferences[store.engine] = database.reference;
  }
  const service = await api.createService(projectId, environmentId, inputs.serviceName, inputs.image, [...before, ...made]);
  made.push(service.id);
  if (region) await api.placeService(service.id, environmentId, region);
  await api.setVariables(projectId, environmentId, service.id, appVariables(inputs, datastoreReferences));
  const domains = await syncDomains(api, { projectId, environmentId, serviceId: service.id, targetPort: inputs.targetPort ?? null, customDomain: inputs.customDomain ?? null });
  return { serviceId: service.id, datastoreServiceIds, datastoreReferences, ...domains };
}

/**
 * Creates the app on Railway. With an account or workspace token: a project of its own whose one environment is the
 * stack's, holding the datastores and the app. With a project token: the datastores and the app in the token's
 * environment, which must be the stack's. Each create that may have succeeded unseen is looked up before it is sent
 * again, and a failed create removes what it made.
 */
export async function createProject(inputs: RailwayProjectInputs): Promise<{ id: string; outs: RailwayProjectOutputs }> {
  const api = client("project");
  return api.tokenKind === "account" ? createOwnProject(api, inputs) : createInTokenProject(api, inputs);
}

async function createOwnProject(api: RailwayClient, inputs: RailwayProjectInputs): Promise<{ id: string; outs: RailwayProjectOutputs }> {
  const project = await api.createProject(inputs.name, inputs.environment);
  try {
    const environmentId = project.environments.find((e) => e.name === inputs.environment)?.id ?? (await api.createEnvironment(project.id, inputs.environment)).id;
    const deployed = await deployServices(api, project.id, environmentId, inputs, project.services.map((s) => s.id), []);
    return { id: project.id, outs: outputs(inputs, project.id, environmentId, deployed, true) };
  } catch (error) {
    // Deleting the project removes everything created under it, so a failed create leaves nothing behind.
    await api.deleteProject(project.id).catch(() => undefined);
    throw error;
  }
}

async function createInTokenProject(api: RailwayClient, inputs: RailwayProjectInputs): Promise<{ id: string; outs: RailwayProjectOutputs }> {
  const scope = await api.tokenScope();
  if (scope.environmentName !== inputs.environment) {
    throw new Error(
      `${TOKEN_VARIABLES.project} is a project token for environment '${scope.environmentName}' of Railway project '${scope.projectName}', but this stack deploys to '${inputs.environment}': ` +
        `use a project token of that environment, or set ${TOKEN_VARIABLES.account} (an account or workspace token) to give the stack a project of its own`,
    );
  }
  const before = (await api.getProject(scope.projectId))?.services.map((s) => s.id) ?? [];
  const made: string[] = [];
  try {
    const deployed = await deployServices(api, scope.projectId, scope.environmentId, inputs, before, made);
    return { id: scope.projectId, outs: outputs(inputs, scope.projectId, scope.environmentId, deployed, false) };
  } catch (error) {
    // The project is not this product's to delete: only the services this create made are removed.
    for (const id of made.reverse()) await api.deleteService(id, scope.environmentId).catch(() => undefined);
    throw error;
  }
}

function outputs(inputs: RailwayProjectInputs, projectId: string, environmentId: string, deployed: Deployed, ownsProject: boolean): RailwayProjectOutputs {
  return { ...inputs, region: inputs.region ?? null, targetPort: inputs.targetPort ?? null, projectId, environmentId, ...deployed, ownsProject, dashboardUrl: `${RAILWAY_DASHBOARD}/project/${projectId}` };
}

/**
 * Reads the project; one deleted outside Pulumi (or, in a project token's project, an app service deleted) is reported
 * gone, and a service domain deleted in Railway is dropped from the state.
 */
export async function readProject(id: string, props: RailwayProjectOutputs): Promise<{ id?: string; props?: RailwayProjectOutputs }> {
  const project = await clientFor(props).getProject(props.projectId ?? id);
  if (!project) return {};
  if (props.ownsProject === false && !project.services.some((s) => s.id === props.serviceId)) return {};
  // A domain removed in Railway leaves the state, so the next update gives the service one again.
  if (props.domain && !(await hasServiceDomain(clientFor(props), props.serviceId, props.environmentId, props.domain))) {
    const { domain: _domain, serviceDomainId: _id, ...rest } = props;
    return { id, props: rest };
  }
  return { id, props };
}

/**
 * Sets the app's variables to exactly the new ones, moves every service to a new region and keeps the service's
 * domains as the spec says: its Railway domain (made for a stack that had none) on the new port, the new custom
 * domain instead of the old one (other changes replace).
 */
export async function updateProject(id: string, olds: RailwayProjectOutputs, news: RailwayProjectInputs): Promise<{ outs: RailwayProjectOutputs }> {
  const api = clientFor(olds);
  const projectId = olds.projectId ?? id;
  const region = news.region ?? null;
  if (region && region !== (olds.region ?? null)) {
    for (const serviceId of [...Object.values(olds.datastoreServiceIds ?? {}), olds.serviceId]) await api.placeService(serviceId, olds.environmentId, region, olds.region ?? null);
  }
  await api.setVariables(projectId, olds.environmentId, olds.serviceId, appVariables(news, olds.datastoreReferences ?? {}));
  const domains = await syncDomains(api, {
    projectId,
    environmentId: olds.environmentId,
    serviceId: olds.serviceId,
    targetPort: news.targetPort ?? null,
    customDomain: news.customDomain ?? null,
    previousCustomDomain: olds.customDomain ?? null,
  });
  return { outs: { ...olds, ...news, region, targetPort: news.targetPort ?? null, ...domains } };
}

/**
 * Deletes the project and everything in it, or in a project token's project only the services this product made
 * (already gone counts as deleted); Railway deletes a service's domains with it.
 */
export async function deleteProject(id: string, props?: RailwayProjectOutputs): Promise<void> {
  const api = clientFor(props ?? { ownsProject: true });
  if (props?.ownsProject !== false) return api.deleteProject(id);
  for (const serviceId of [props.serviceId, ...Object.values(props.datastoreServiceIds ?? {})]) await api.deleteService(serviceId, props.environmentId);
}

/**
 * Variables, the region, the target port and the custom domain update in place, as does a stack recorded before its
 * service had a public domain; a new name, environment, image or set of datastores replaces the project.
 */
export function diffProject(_id: string, olds: RailwayProjectOutputs, news: RailwayProjectInputs): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaceKeys: (keyof RailwayProjectInputs)[] = ["name", "environment", "serviceName", "image", "datastores"];
  const updateKeys: (keyof RailwayProjectInputs)[] = ["env", "secretEnv", "region", "targetPort", "customDomain"];
  const differs = (key: keyof RailwayProjectInputs) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null);
  const replaces = replaceKeys.filter(differs);
  return { changes: replaces.length > 0 || updateKeys.some(differs) || !olds.domain, replaces, deleteBeforeReplace: true };
}
