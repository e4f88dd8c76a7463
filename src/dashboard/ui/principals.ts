/**
 * Who did something, by name: history entries name a service token as `token:<id>`; the deployments list says the
 * name of the token that queued each operation, so the dashboard shows "alice" where the engine recorded an id.
 */
import { useApi } from "./load";

/** One operation of `GET /v1/deployments` (the fields the dashboard reads). */
export interface RecentOperation {
  readonly id: string;
  readonly operation: string;
  readonly status: string;
  readonly created_at: string;
  readonly requested_by: string;
  readonly requested_by_name: string | null;
  readonly version_name: string | null;
  readonly environment?: string;
}

/** Principal ids (`token:<id>`) mapped to their names. */
export type PrincipalNames = ReadonlyMap<string, string>;

/** The names of the principals among `operations`. */
export function namesFrom(operations: readonly RecentOperation[]): PrincipalNames {
  const names = new Map<string, string>();
  for (const operation of operations) if (operation.requested_by_name) names.set(operation.requested_by, operation.requested_by_name);
  return names;
}

/** A principal as a person reads it: its name when known, else the id as recorded (null when nobody is recorded). */
export function displayName(recorded: string | null | undefined, names: PrincipalNames): string | null {
  if (!recorded) return null;
  return names.get(recorded) ?? recorded;
}

/** The recent operations of one project (or of every project the session reads) and the names they reveal. */
export function useRecentOperations(projectId: string | null, environment: string | null = null, limit = 100): { operations: readonly RecentOperation[]; names: PrincipalNames } {
  const query = new URLSearchParams({ limit: String(limit) });
  if (projectId) query.set("project_id", projectId);
  if (projectId && environment) query.set("environment", environment);
  const { data } = useApi<{ deployments: RecentOperation[] }>(`/v1/deployments?${query.toString()}`, { pollMs: 15_000 });
  const operations = data?.deployments ?? [];
  return { operations, names: namesFrom(operations) };
}
