import { fetchWithRetry, type RetryOptions } from "../http-retry";

/** Default endpoint of Railway's public GraphQL API; `RAILWAY_API_URL` overrides it. */
export const RAILWAY_API_URL = "https://backboard.railway.app/graphql/v2";

/** A Railway API call that failed. */
export class RailwayApiError extends Error {
  readonly code = "RAILWAY_API_ERROR" as const;
  constructor(
    readonly status: number,
    readonly operation: string,
    detail: string,
  ) {
    super(
      status === 401 || status === 403
        ? `Railway rejected the token for ${operation} (HTTP ${status}); check RAILWAY_TOKEN`
        : `Railway ${operation} failed${status ? ` (HTTP ${status})` : ""}${detail ? `: ${detail}` : ""}`,
    );
    this.name = "RailwayApiError";
  }
}

/** Options of the client. */
export interface RailwayClientOptions extends RetryOptions {
  readonly token: string;
  readonly url?: string;
}

/** The GraphQL operations this product uses, one document each. */
const OPERATIONS = {
  projectCreate: "mutation projectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { id name environments { edges { node { id name } } } } }",
  project: "query project($id: String!) { project(id: $id) { id name } }",
  projectDelete: "mutation projectDelete($id: String!) { projectDelete(id: $id) }",
  environmentCreate: "mutation environmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id name } }",
  serviceCreate: "mutation serviceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }",
  variableCollectionUpsert: "mutation variableCollectionUpsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }",
} as const;

/** The documented subset of Railway's public GraphQL API this product uses. */
export class RailwayClient {
  constructor(private readonly options: RailwayClientOptions) {}

  /** Runs one operation, retrying 429 and 5xx a bounded number of times; GraphQL errors fail at once. */
  async call<T>(operation: keyof typeof OPERATIONS, variables: Record<string, unknown>): Promise<T> {
    const answer = await fetchWithRetry(
      this.options.url ?? RAILWAY_API_URL,
      {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
        body: JSON.stringify({ operationName: operation, query: OPERATIONS[operation], variables }),
      },
      this.options,
    );
    const response = answer.response;
    if (!response || !response.ok) {
      const detail = response ? (await response.text().catch(() => "")).slice(0, 200) : answer.detail;
      throw new RailwayApiError(answer.status, operation, detail);
    }
    const payload = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (payload.errors?.length) throw new RailwayApiError(0, operation, payload.errors.map((e) => e.message).join("; "));
    return payload.data as T;
  }
}
