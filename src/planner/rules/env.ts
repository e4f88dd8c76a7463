import type { Technology } from "../catalog";
import type { DeploymentRequest } from "../request";
import { ruled, type RuleResult } from "./result";

/**
 * The plain variables one technology needs: the catalog's default where it has one, else a next step asking for a
 * value. Variables the request sets are left to it.
 */
export function technologyEnv(tech: Technology, request: DeploymentRequest): RuleResult<Record<string, string>> {
  const env: Record<string, string> = {};
  const nextSteps: string[] = [];
  for (const variable of tech.env ?? []) {
    if (request.env?.[variable.name] !== undefined) continue;
    if (variable.default !== undefined) env[variable.name] = variable.default;
    else nextSteps.push(`Set ${variable.name} (${variable.description}) in the request's env`);
  }
  return ruled(env, { nextSteps });
}

/** The env rule: the catalog's defaults with the request's own variables on top. */
export function planEnv(defaults: Readonly<Record<string, string>>, request: DeploymentRequest): RuleResult<Record<string, string>> {
  return ruled({ ...defaults, ...request.env });
}
