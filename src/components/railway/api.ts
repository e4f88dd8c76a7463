import { randomUUID } from "node:crypto";
import { HttpApiError } from "../http-api-error";
import { callHttpApi, createOnce, type HttpApiTarget, type RequestKind, type RetryOptions } from "../http-retry";

/** Default endpoint of Railway's public GraphQL API; `RAILWAY_API_URL` overrides it. */
export const RAILWAY_API_URL = "https://backboard.railway.app/graphql/v2";

/** Start of the description given to every project this product creates; the rest identifies one create. */
export const PROJECT_MARKER_PREFIX = "Managed by deployment-planner; create request ";

/** Options of the client. */
export interface RailwayClientOptions extends RetryOptions {
  readonly token: string;
  readonly url?: string;
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

const NAMED = "edges { node { id name } }";
const PROJECT = `id name description environments { ${NAMED} } services { ${NAMED} }`;

/** The GraphQL operations this product uses: one document each, and what repeating it could do. */
const OPERATIONS = {
  projectCreate: { kind: "create", document: `mutation projectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { ${PROJECT} } }` },
  project: { kind: "read", document: `query project($id: String!) { project(id: $id) { ${PROJECT} } }` },
  projects: {
    kind: "read",
    // Names and descriptions only: a page of whole projects would be a heavy query for a lookup.
    document: "query projects($first: Int, $after: String) { projects(first: $first, after: $after) { edges { node { id name description } } pageInfo { hasNextPage endCursor } } }",
  },
  projectDelete: { kind: "delete", document: "mutation projectDelete($id: String!) { projectDelete(id: $id) }" },
  environmentCreate: { kind: "create", document: "mutation environmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id name } }" },
  serviceCreate: { kind: "create", document: "mutation serviceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }" },
  // An upsert sets the given variables to the given values, so repeating it sets the same values again.
  variableCollectionUpsert: { kind: "update", document: "mutation variableCollectionUpsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }" },
} as const satisfies Record<string, { kind: RequestKind; document: string }>;

/** A project as GraphQL returns it, with its lists as connections. */
interface ProjectNode extends Omit<RailwayProject, "environments" | "services"> {
  readonly environments?: { edges: { node: RailwayNamed }[] };
  readonly services?: { edges: { node: RailwayNamed }[] };
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
 * The documented subset of Railway's public GraphQL API this product uses. Every call fails with an `HttpApiError`.
 * Railway's mutations take no idempotency key, so each create is made safe by looking up what it would have made
 * before it is sent again (`createOnce`).
 */
export class RailwayClient {
  private readonly target: HttpApiTarget;

  constructor(private readonly options: RailwayClientOptions) {
    this.target = { ...options, api: "Railway", tokenVariable: "RAILWAY_TOKEN" };
  }

  /** Runs one operation under the retry policy of its kind; GraphQL errors fail at once. */
  async call<T>(operation: keyof typeof OPERATIONS, variables: Record<string, unknown>, secrets: readonly string[] = []): Promise<T> {
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
      throw new HttpApiError({ api: "Railway", operation, status: response.status, detail, secrets: [this.options.token, ...secrets] });
    }
    return payload.data as T;
  }

  /**
   * Creates a project without ever making two. Project names need not be unique, so the project carries a
   * description unique to this create; after a create that may have succeeded unseen, that description finds it.
   */
  async createProject(name: string): Promise<RailwayProject> {
    const description = `${PROJECT_MARKER_PREFIX}${randomUUID()}`;
    return createOnce({
      create: async () => flatten((await this.call<{ projectCreate: ProjectNode }>("projectCreate", { input: { name, description } })).projectCreate),
      find: () => this.findProject(name, description),
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /** The project with this name and description among the token's projects, or null. */
  async findProject(name: string, description: string): Promise<RailwayProject | null> {
    let after: string | null = null;
    // Bounded, so an account with a great many projects cannot keep a create looking forever.
    for (let page = 0; page < 50; page += 1) {
      const { projects }: { projects: { edges: { node: ProjectNode }[]; pageInfo?: { hasNextPage: boolean; endCursor: string | null } } } = await this.call(
        "projects",
        { first: 100, after },
      );
      const found = projects.edges.find((e) => e.node.name === name && e.node.description === description);
      if (found) return this.getProject(found.node.id);
      if (!projects.pageInfo?.hasNextPage || !projects.pageInfo.endCursor) return null;
      after = projects.pageInfo.endCursor;
    }
    return null;
  }

  /** The project, or null when it no longer exists. */
  async getProject(id: string): Promise<RailwayProject | null> {
    const { project } = await this.call<{ project: ProjectNode | null }>("project", { id });
    return project ? flatten(project) : null;
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
   * Creates a service in a project this product has just created, so a service of that name that is not in `taken`
   * (the ones made before it) can only be this create's unseen success.
   */
  createService(projectId: string, name: string, image: string | null, taken: readonly string[]): Promise<RailwayNamed> {
    return createOnce({
      create: async () =>
        (await this.call<{ serviceCreate: RailwayNamed }>("serviceCreate", { input: { projectId, name, ...(image ? { source: { image } } : {}) } })).serviceCreate,
      find: async () => (await this.getProject(projectId))?.services.find((s) => s.name === name && !taken.includes(s.id)) ?? null,
      maxDelayMs: this.options.maxDelayMs,
    });
  }

  /** Sets a service's variables; the values never appear in an error message. */
  async upsertVariables(projectId: string, environmentId: string, serviceId: string, variables: Record<string, string>): Promise<void> {
    await this.call("variableCollectionUpsert", { input: { projectId, environmentId, serviceId, variables } }, Object.values(variables));
  }

  /** Deletes a project and everything in it; one already gone (also when an earlier attempt deleted it unseen) counts as deleted. */
  async deleteProject(id: string): Promise<void> {
    try {
      await this.call("projectDelete", { id });
    } catch (error) {
      if (!(error instanceof HttpApiError)) throw error;
      if (error.status === 404) return;
      // Railway may answer a repeated delete with an error of its own; whether the project is gone is what counts.
      if ((await this.getProject(id).catch(() => undefined)) !== null) throw error;
    }
  }
}
