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
export interface RailwayClientOptions {
  readonly token: string;
  readonly url?: string;
  /** Attempts for a call answered with 429 or 5xx. @default 4 */
  readonly attempts?: number;
  readonly maxDelayMs?: number;
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
    const attempts = this.options.attempts ?? 4;
    let status = 0;
    let detail = "";
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(this.options.url ?? RAILWAY_API_URL, {
          method: "POST",
          headers: { authorization: `Bearer ${this.options.token}`, "content-type": "application/json" },
          body: JSON.stringify({ operationName: operation, query: OPERATIONS[operation], variables }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        detail = (error as Error).message;
        if (attempt < attempts) await this.wait(attempt, null);
        continue;
      }
      status = response.status;
      const text = await response.text();
      if (response.ok) {
        const payload = JSON.parse(text) as { data?: T; errors?: { message: string }[] };
        if (payload.errors?.length) throw new RailwayApiError(0, operation, payload.errors.map((e) => e.message).join("; "));
        return payload.data as T;
      }
      detail = text.slice(0, 200);
      if (status !== 429 && status < 500) break;
      if (attempt < attempts) await this.wait(attempt, response.headers.get("retry-after"));
    }
    throw new RailwayApiError(status, operation, detail);
  }

  private wait(attempt: number, retryAfter: string | null): Promise<void> {
    const fromHeader = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
    return new Promise((resolve) => setTimeout(resolve, Math.min(fromHeader ?? 200 * 2 ** (attempt - 1), this.options.maxDelayMs ?? 5000)));
  }
}
