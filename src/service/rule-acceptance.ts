import { failure, type FailureResult } from "../outcome";
import { acceptDeployment, type AcceptedDeployment } from "./acceptance";
import type { HookRule } from "./config";
import type { ServiceGrants } from "./grants";
import { ruleName, ruleRequest } from "./hook-checks";
import type { CommitCheckout } from "./preview-github";
import { withheldSecretsNote, withoutSecrets } from "./previews";

/** What a hook delivery deploys for one rule: which commit, from where, for which pull request. */
export interface RuleDelivery {
  /** The hook's rule source: `github` or a generic hook's name. */
  readonly ruleSource: string;
  readonly repository: string;
  readonly commit?: string;
  /** The commit's files, fetched through GitHub's API; absent: the rule's source directory on the service. */
  readonly checkout?: CommitCheckout | null;
  /** The pull request whose preview this deploys. */
  readonly pullRequest?: number;
  /** A fork's pull request under `forks: secretless`: its request's secret references are dropped. */
  readonly withholdSecrets?: boolean;
}

/** A rule's request as accepted (planned and packaged), or why not: the sender's failure and the operator's detail. */
export type RuleAcceptance =
  | { readonly ok: true; readonly request: Record<string, unknown>; readonly deployment: AcceptedDeployment }
  | { readonly ok: false; readonly failure: FailureResult; readonly detail: string };

/**
 * Reads `rule`'s request for a delivery and accepts it as an API request is accepted: planned once, its source checked
 * and packaged. A commit fetched through the API is the source's root (the request's `source` is read inside it);
 * otherwise the rule's directory on the service is, and the plan's notes say plainly that this content is that
 * directory's, not the commit's. A fork's preview without secrets says so in its notes too.
 */
export async function acceptRuleDelivery(rule: HookRule, delivery: RuleDelivery, grants: ServiceGrants): Promise<RuleAcceptance> {
  const checkout = delivery.checkout ?? null;
  const prepared = await ruleRequest(rule, delivery.commit, grants, { checkoutDir: checkout?.dir, pullRequest: delivery.pullRequest });
  if (!prepared.ok) return prepared;
  const notes: string[] = [];
  let request = prepared.request;
  if (delivery.withholdSecrets) {
    const stripped = withoutSecrets(request);
    request = stripped.request;
    notes.push(withheldSecretsNote(stripped.withheld));
  }
  const projectId = typeof request.project_id === "string" ? request.project_id : null;
  const grant = grants.grantFor(projectId);
  // The checkout is the only directory a commit's request may package: what it holds is the commit's content.
  const deployment = await acceptDeployment(request, { grant: checkout ? { sources: [checkout.dir], secrets: grant.secrets } : grant, baseDir: grants.baseDir });
  if ("failure" in deployment) {
    const planning = deployment.failure.stage === "validation" || deployment.failure.stage === "plan";
    const name = ruleName(rule, delivery.pullRequest);
    const problem = planning ? `the deployment request of ${name} cannot be planned` : `the source of ${name} cannot be packaged`;
    return {
      ok: false,
      failure: failure(planning ? "plan" : "package", problem, "Ask the service's operator to fix the rule's request file or its source; the delivery's outcome is recorded."),
      detail: `${deployment.failure.stage}: ${deployment.failure.reason}`,
    };
  }
  if (deployment.bundle) notes.unshift(contentNote(delivery, checkout, deployment.bundle.digest));
  if (notes.length === 0 || !deployment.planned) return { ok: true, request, deployment };
  const planned = { ...deployment.planned, warnings: [...deployment.planned.warnings, ...notes] };
  return { ok: true, request, deployment: { ...deployment, planned } };
}

/** Where a bundle's content came from, as the deployment's record says it. */
function contentNote(delivery: RuleDelivery, checkout: CommitCheckout | null, bundleDigest: string): string {
  if (checkout && delivery.commit) return `content: commit ${delivery.commit} of ${delivery.repository}, fetched through GitHub's API (bundle ${bundleDigest})`;
  const why = delivery.ruleSource === "github" ? "no GitHub API access is configured (hooks.github.token or hooks.github.app)" : "a generic hook sends no commit content";
  const commit = delivery.commit ? `, not necessarily commit ${delivery.commit}` : "";
  return `content: the rule's source directory on the service as it stood when the delivery arrived${commit}: ${why} (bundle ${bundleDigest})`;
}
