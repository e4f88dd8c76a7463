import { randomUUID } from "node:crypto";
import { HttpApiError, type HttpApiErrorInit } from "../http-api-error";
import { callHttpApi, createOnce, type HttpApiTarget, type RetryOptions } from "../http-retry";
import { TOKEN_DESCRIPTIONS, tokenHeader, type RailwayCredential } from "./credentials";
import { OPERATIONS, type RailwayOperation } from "./operations";

/** Default endpoint of Railway's public GraphQL API (as Railway's CLI and API documentation name it); `RAILWAY_API_URL` overrides it. */
export const RAILWAY_API_URL = "https://backboard.railway.com/graphql/v2";

/** Railway's dashboard, where a project's page is `/project/<id>`. */
export const RAILWAY_DASHBOARD = "https://railway.com";

/** Start of the description given to every project this product creates; the rest identifies one create. */
export const PROJECT_MARKER_PREFIX = "Managed by deployment-planner; create request ";

/** Options of the client. */
export interface RailwayClientOptions extends RetryOptions {
  readonly credential: RailwayCredential;
  readonly url?: string;
  /** Workspace that projects are created and looked up in. @default none sent: the token's own placement */
  readonly workspaceId?: string;
  /** Time between two polls of a template deploy's workflow. @default 1000 ms */
  readonly workflowPollMs?: number;
  /** Polls of a template deploy's workflow before giving up on it. @default 180 */
  readonly workflowPolls?: number;
}

/** Something Railway names: an environment or a service. */
export interface RailwayNamed {
  readonly id: string;
  readonly name: string;
}

/** A project with what this product reads of it. */
export interface RailwayProject {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly environments: RailwayNamed[];
  readonly services: RailwayNamed[];
}

/** A template as Railway serves it: its id and its serialized configuration. */
export interface RailwayTemplate {
  readonly id: string;
  readonly name: string;
  readonly serializedConfig: unknown;
}

/** Where a project token points: one environment of one project. */
export interface RailwayTokenScope {
  readonly projectId: string;
  readonly projectName: string;
  readonly environmentId: string;
  readonly environmentName: string;
}

/** A GraphQL error Railway answered; `notFound` when Railway says the thing asked for does not exist. */
export class RailwayApiError extends HttpApiError {
  readonly notFound: boolean;

  constructor(init: HttpApiErrorInit & { readonly notFound: boolean }) {
    super(init);
    this.name = "RailwayApiError";
    this.notFound = init.notFound;
  }
}

// Railway refuses a token with "Not Authorized" (or "Project Token not found") in a GraphQL error, and answers a
// missing project with "Project not found"; its CLI reads the same words.
const REFUSED = /not authorized|project token not found/i;
const NOT_FOUND = /\bnot found\b/i;

/** A project as GraphQL returns it, with its lists as connections. */
interface ProjectNode extends Omit<RailwayProject, "environments" | "services"> {
  readonly environments?: { edges: { node: RailwayNamed }[] };
  readonly services?: { edges: { node: RailwayNamed }[] };
}

interface ProjectPage {
  edges: { node: ProjectNode }[];
  pageInfo?: { hasNextPage: boolean; endCursor: string | null };
}

function flatten(node: ProjectNode): RailwayProject {
  return {
    id: node.id,
    name: node.name,
    description: node.description ?? null,
    environments: node.environments?.edges.map((e) => e.node) ?? [],
    services: node.services?.edges.map((e) => e.node) ?? [],
  };
}

/**
 * The documented subset of Railway's public GraphQL API this product uses. Every call fails with an `HttpApiError`
 * (a `RailwayApiError` for an error Railway answered in GraphQL). Railway's mutations take no idempotency key, so each
 * create is made safe by looking up what it would have made before it is sent again (`createOnce`).
 */
export class RailwayClient {
  private readonly target: HttpApiTarget;

  constructor(private readonly options: RailwayClientOptions) {
    const { credential } = options;
    this.target = { ...options, api: "Railway", token: credential.token, tokenVariable: credential.variable, tokenHeader: tokenHeader(credential.kind) };
  }

  /** The kind of token this client sends. */
  get tokenKind(): RailwayCredential["kind"] {
    return this.options.credential.kind;
  }

  /** Longest backoff between two creates of one thing, for creates made safe by a lookup (`createOnce`). */
  get maxDelayMs(): number | undefined {
    return this.options.maxDelayMs;
  }

  /** Runs one operation under the retry policy of its kind; GraphQL errors fail at once. */
  async call<T>(operation: RailwayOperation, variables: Record<string, unknown>, secrets: readonly string[] = []): Promise<T> {
    const { kind, document } = OPERATIONS[operation];
    const response = await callHttpApi(this.target, {
      operation,
      kind,
      url: this.options.url ?? RAILWAY_API_URL,
      method: "POST",
      body: JSON.stringify({ operationName: operation, query: document, variables }),
      secrets,
    });
    const payload = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (payload.errors?.length) {
      const detail = payload.errors.map((e) => e.message).join("; ");
      const { credential } = this.options;
      const refused = REFUSED.test(detail);
      throw new RailwayApiError({
        api: "Railway",
        operation,
        status: response.status,
        detail: refused ? `${detail}; check ${credential.variable} (${TOKEN_DESCRIPTIONS[credential.kind]})` : detail,
        notFound: !refused && NOT_FOUND.test(detail),
        secrets: [credential.token, ...secrets],
      });
    }
    return payload.data as T;
  }

  /**
   * Creates a project whose one environment is `environment`, without ever making two. Project names need not be
   * unique, so the project carries a description unique to this create; after a create that may have succeeded
   * unseen, that description finds it.
   */
  async createProject(name: string, environment: string): Promise<RailwayProject> {
    const description = `${PROJECT_MARKER_PREFIX}${randomUUID()}`;
    const workspace = this.options.workspaceId ? { workspaceId: this.options.workspaceId } : {};
    const input = { name, description, defaultEnvironmentName: environment, ...workspace };
    return createOnce({
      create: async () => flatten((await this.call<{ projectCreate: ProjectNode }>("projectCreate", { input })).projectCreate),
      find: () => this.findProject(name, description),
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /** The project with this name and description among the workspace's projects (the token's, without one), or null. */
  async findProject(name: string, description: string): Promise<RailwayProject | null> {
    const { workspaceId } = this.options;
    let after: string | null = null;
    // Bounded, so an account with a great many projects cannot keep a create looking forever.
    for (let page = 0; page < 50; page += 1) {
      const projects: ProjectPage = workspaceId
        ? (await this.call<{ workspace: { projects: ProjectPage } }>("workspaceProjects", { workspaceId, first: 100, after })).workspace.projects
        : (await this.call<{ projects: ProjectPage }>("projects", { first: 100, after })).projects;
      const found = projects.edges.find((e) => e.node.name === name && e.node.description === description);
      if (found) return this.getProject(found.node.id);
      if (!projects.pageInfo?.hasNextPage || !projects.pageInfo.endCursor) return null;
      after = projects.pageInfo.endCursor;
    }
    return null;
  }

  /** The project, or null when Railway says it does not exist. */
  async getProject(id: string): Promise<RailwayProject | null> {
    try {
      return flatten((await this.call<{ project: ProjectNode }>("project", { id })).project);
    } catch (error) {
      if (error instanceof RailwayApiError && error.notFound) return null;
      throw error;
    }
  }

  /** The project and environment a project token is bound to. */
  async tokenScope(): Promise<RailwayTokenScope> {
    type Scope = { projectId: string; environmentId: string; project: { name: string }; environment: { name: string } };
    const { projectToken } = await this.call<{ projectToken: Scope }>("projectToken", {});
    return { projectId: projectToken.projectId, projectName: projectToken.project.name, environmentId: projectToken.environmentId, environmentName: projectToken.environment.name };
  }

  /** Creates an environment in a project; the name is unique within the project, so a lookup finds an unseen success. */
  createEnvironment(projectId: string, name: string): Promise<RailwayNamed> {
    return createOnce({
      create: async () => (await this.call<{ environmentCreate: RailwayNamed }>("environmentCreate", { input: { projectId, name } })).environmentCreate,
      find: async () => (await this.getProject(projectId))?.environments.find((e) => e.name === name) ?? null,
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /**
   * Creates a service in one environment of a project. A service of that name that is not in `taken` (the project's
   * services before this deployment began) can only be this create's unseen success.
   */
  createService(projectId: string, environmentId: string, name: string, image: string | null, taken: readonly string[]): Promise<RailwayNamed> {
    const input = { projectId, environmentId, name, ...(image ? { source: { image } } : {}) };
    return createOnce({
      create: async () => (await this.call<{ serviceCreate: RailwayNamed }>("serviceCreate", { input })).serviceCreate,
      find: async () => (await this.getProject(projectId))?.services.find((s) => s.name === name && !taken.includes(s.id)) ?? null,
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /** Deletes a service from an environment; one already gone counts as deleted. */
  async deleteService(id: string, environmentId: string): Promise<void> {
    try {
      await this.call("serviceDelete", { id, environmentId });
    } catch (error) {
      if (error instanceof RailwayApiError && error.notFound) return;
      if (error instanceof HttpApiError && error.status === 404) return;
      throw error;
    }
  }

  /** Runs a service's one replica in `region`, taking it out of `previous` when that was another region. */
  async placeService(serviceId: string, environmentId: string, region: string, previous: string | null = null): Promise<void> {
    // Railway's multi-region configuration is a map of region to replicas; a region set to null is removed.
    const multiRegionConfig: Record<string, { numReplicas: number } | null> = { [region]: { numReplicas: 1 } };
    if (previous && previous !== region) multiRegionConfig[previous] = null;
    await this.call("serviceInstanceUpdate", { serviceId, environmentId, input: { multiRegionConfig } });
  }

  /**
   * Makes a service's variables exactly `variables`: Railway's `replace` removes the ones not given, so a variable
   * taken out of the spec is taken out of the service. The values never appear in an error message.
   */
  async setVariables(projectId: string, environmentId: string, serviceId: string, variables: Record<string, string>): Promise<void> {
    const input = { projectId, environmentId, serviceId, variables, replace: true };
    await this.call("variableCollectionUpsert", { input }, Object.values(variables));
  }

  /** Deletes a project and everything in it; one already gone (also when an earlier attempt deleted it unseen) counts as deleted. */
  async deleteProject(id: string): Promise<void> {
    try {
      await this.call("projectDelete", { id });
    } catch (error) {
      if (error instanceof RailwayApiError && error.notFound) return;
      if (!(error instanceof HttpApiError)) throw error;
      if (error.status === 404) return;
      // Railway may answer a repeated delete with an error of its own; whether the project is gone is what counts.
      if ((await this.getProject(id).catch(() => undefined)) !== null) throw error;
    }
  }

  /** A template by its code (`postgres`), with its serialized configuration. */
  async getTemplate(code: string): Promise<RailwayTemplate> {
    return (await this.call<{ template: RailwayTemplate }>("template", { code })).template;
  }

  /** Sends one template deploy (kind `create`; the caller makes it safe to repeat); returns the workflow to wait for. */
  async deployTemplate(input: { projectId: string; environmentId: string; templateId: string; serializedConfig: unknown }): Promise<string | null> {
    return (await this.call<{ templateDeployV2: { workflowId: string | null } }>("templateDeployV2", { input })).templateDeployV2.workflowId;
  }

  /** Waits for a Railway workflow (a template deploy) to complete; fails when it fails or takes too long. */
  async waitForWorkflow(workflowId: string, operation: string): Promise<void> {
    const polls = this.options.workflowPolls ?? 180;
    const fail = (detail: string) => new RailwayApiError({ api: "Railway", operation, status: 200, detail, notFound: false });
    for (let poll = 0; poll < polls; poll += 1) {
      const { workflowStatus } = await this.call<{ workflowStatus: { status: string; error: string | null } }>("workflowStatus", { workflowId });
      if (workflowStatus.status === "Complete") return;
      if (workflowStatus.status === "Error") throw fail(`its workflow failed: ${workflowStatus.error ?? "Railway gave no reason"}`);
      // `NotFound` right after the deploy is Railway not having recorded the workflow yet; `Running` is work going on.
      await new Promise((resolve) => setTimeout(resolve, this.options.workflowPollMs ?? 1000));
    }
    throw fail(`its workflow did not complete within ${polls} polls`);
  }
}
