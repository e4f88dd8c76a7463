import type { Pool } from "pg";
import { namesOf } from "./repositories/api-tokens";

/** A service token as history and audit entries name their actor: `token:<16 hex>`. */
const TOKEN_ACTOR = /^token:([0-9a-f]{16})$/;

/**
 * The name of each actor that history and audit entries record: a token's name for `token:<id>` (looked up once for
 * all of them), the hook's name for `hook:<name>`, and any other actor (an operating-system user) as it is. An actor
 * whose token no longer exists has no name.
 */
export async function principalNames(pool: Pool, actors: readonly (string | null | undefined)[]): Promise<(actor: string | null | undefined) => string | null> {
  const ids = [...new Set(actors.map((actor) => TOKEN_ACTOR.exec(actor ?? "")?.[1]).filter((id): id is string => id !== undefined))];
  const names = await namesOf(pool, ids);
  return (actor) => {
    if (!actor) return null;
    const token = TOKEN_ACTOR.exec(actor);
    if (token) return names.get(token[1]!) ?? null;
    return actor.startsWith("hook:") ? actor.slice("hook:".length) : actor;
  };
}
