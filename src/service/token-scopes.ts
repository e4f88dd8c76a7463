/** The scopes an API token can have, apart from the token logic so that the `api_tokens` repository can name them. */

/** What a token may do, each scope including the ones before it. */
export const TOKEN_SCOPES = ["read", "deploy", "admin"] as const;
/** A token's scope. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];
