import type { FailureResult } from "../../outcome";
import type { Catalog, Technology } from "../catalog";
import type { DeploymentRequest } from "../request";
import { ownRegionCodes, regionProblem } from "./region";
import { didYouMean, validationFailure, type Intent } from "./result";

/** The fix for an unknown technology: every technology the catalog knows, by name. */
function technologyFix(catalog: Catalog): string {
  return `Use a technology the catalog knows (names match ignoring case and punctuation): ${catalog.technologies.map((t) => t.name).join(", ")}.`;
}

/** The fix for an unknown region: the generic names and every target's own codes. */
function regionFix(catalog: Catalog): string {
  return `Name a region: a generic name such as 'eu-west-1', or a target's own code (${ownRegionCodes(catalog)}).`;
}

/**
 * Resolves what the request names against the catalog — its technologies and its region — and derives the
 * environment name. Every unknown name is reported at once (stage `validation`), with "did you mean" suggestions.
 */
export function resolveIntent(request: DeploymentRequest, catalog: Catalog): Intent | FailureResult {
  const problems: string[] = [];
  const technologies: Technology[] = [];
  request.tech_stack.forEach((name, index) => {
    const tech = catalog.find(name);
    if (tech) {
      // Two aliases of one technology ("Next.js", "nextjs") plan it once.
      if (!technologies.includes(tech)) technologies.push(tech);
      return;
    }
    problems.push(`tech_stack.${index}: unknown technology '${name}'${didYouMean(catalog.suggest(name))}`);
  });
  const technologyProblems = problems.length;
  const region = regionProblem(request.environment.REGION, catalog);
  if (region) problems.push(region);
  if (problems.length > 0) return validationFailure(problems, technologyProblems > 0 ? technologyFix(catalog) : regionFix(catalog));

  const tier = request.environment.ENV;
  const environment = request.environment.NAME ? `${tier}-${request.environment.NAME}` : tier;
  if (environment.length > 63) return validationFailure([`environment.NAME: the environment name '${environment}' is over 63 characters`]);
  return { request, catalog, technologies, tier, environment };
}
