/**
 * Railway's two kinds of token, as its CLI and API documentation describe them:
 * - `account`: an account or workspace token, `RAILWAY_API_TOKEN`, sent as `Authorization: Bearer`. It can create
 *   projects, so with it every stack gets a project of its own.
 * - `project`: a project token, `RAILWAY_TOKEN`, sent in the `project-access-token` header. It is bound to one
 *   environment of one existing project and cannot create projects, so with it a stack deploys its services into
 *   that environment.
 */
export type RailwayTokenKind = "account" | "project";

/** A token from the deploying environment, with what it is. */
export interface RailwayCredential {
  readonly kind: RailwayTokenKind;
  readonly token: string;
  /** The variable it came from, named when Railway refuses it. */
  readonly variable: "RAILWAY_API_TOKEN" | "RAILWAY_TOKEN";
}

/** Variable of each kind of token. */
export const TOKEN_VARIABLES = { account: "RAILWAY_API_TOKEN", project: "RAILWAY_TOKEN" } as const satisfies Record<RailwayTokenKind, string>;

/** What each kind of token is, for messages. */
export const TOKEN_DESCRIPTIONS: Readonly<Record<RailwayTokenKind, string>> = {
  account: "an account or workspace token, which creates a project per stack",
  project: "a project token, which deploys into its own project's environment",
};

/** The header Railway reads each kind of token from; `undefined` is the `Authorization: Bearer` default. */
export function tokenHeader(kind: RailwayTokenKind): string | undefined {
  return kind === "project" ? "project-access-token" : undefined;
}

/**
 * The token to use from `env`: the `preferred` kind when it is set, else the other kind, else null. A create prefers
 * the project token, as Railway's CLI does when both are set; work on a project this product created prefers the
 * account token that created it.
 */
export function railwayCredential(env: NodeJS.ProcessEnv, preferred: RailwayTokenKind): RailwayCredential | null {
  const order: RailwayTokenKind[] = preferred === "project" ? ["project", "account"] : ["account", "project"];
  for (const kind of order) {
    const token = env[TOKEN_VARIABLES[kind]];
    if (token) return { kind, token, variable: TOKEN_VARIABLES[kind] };
  }
  return null;
}
