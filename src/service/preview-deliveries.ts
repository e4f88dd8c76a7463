import type { FailureResult } from "../outcome";
import { stackNameFor } from "../planner/spec";
import type { ApiContext } from "./api-context";
import type { HookRule } from "./config";
import { submitDeployment } from "./deployments";
import { pullRequestRules, ruleProjectId, type PullRequestTarget } from "./hook-checks";
import { gitHubAccess, previewFeedbackFor, type CommitCheckout } from "./preview-github";
import { DEFAULT_PREVIEW_TTL_HOURS, destroyPreview, enforcePreviewCap, forkDecision, previewEnvironment, type PreviewDestroyContext } from "./previews";
import { supersedeQueued } from "./repositories/deployments";
import { previewByStack, recordQueuedPreview } from "./repositories/previews";
import { acceptRuleDelivery } from "./rule-acceptance";

/** What a pull-request delivery came to, for the hook's answer and the delivery's record. */
export type PullRequestOutcome =
  | { readonly kind: "queued"; readonly deployments: readonly string[]; readonly message: string }
  | { readonly kind: "ignored"; readonly message: string }
  /** A rule's request cannot be planned or packaged: nothing is queued. */
  | { readonly kind: "refused"; readonly failure: FailureResult; readonly detail: string }
  /** The commit's files cannot be fetched now: the sender may deliver it again. */
  | { readonly kind: "unavailable"; readonly failure: FailureResult };

/** A delivery of a pull request: its hook and the key its deployments are queued under. */
export interface PullRequestDelivery {
  /** `github` or `generic:<name>`. */
  readonly source: string;
  /** The rules' `source`: `github` or the generic hook's name. */
  readonly ruleSource: string;
  /** `<source>:<delivery id>`: the idempotency key of what it queues. */
  readonly key: string;
}

/** One rule's preview of the pull request: its project and stack. */
interface RulePreview {
  readonly rule: HookRule;
  readonly projectId: string;
  readonly stack: string;
}

/**
 * Acts on a pull request for every rule of its repository that deploys pull requests: opened, reopened and
 * synchronize deploy the head commit to `preview-pr-<number>` (superseding a queued deployment of it that has not
 * started; a head commit already queued or deployed is not deployed again); closed destroys the preview and removes
 * its stack. A fork's pull request follows each rule's `forks` policy. The pull request hears of each step.
 */
export async function receivePullRequest(context: ApiContext, delivery: PullRequestDelivery, pr: PullRequestTarget): Promise<PullRequestOutcome> {
  const config = context.options.config;
  const rules = pullRequestRules(config?.hooks.rules ?? [], delivery.ruleSource, pr.repository);
  if (rules.length === 0) return { kind: "ignored", message: `no rule deploys pull requests of ${pr.repository}; nothing is queued` };
  const previews: RulePreview[] = [];
  for (const rule of rules) {
    const projectId = await ruleProjectId(rule);
    // A request file without a project is refused by its acceptance below, which says why.
    previews.push({ rule, projectId: projectId ?? "", stack: projectId ? stackNameFor(projectId, previewEnvironment(pr.number)) : "" });
  }
  const feedback = previewFeedbackFor(config);
  const pool = context.options.database.pool;
  const destroyContext: PreviewDestroyContext = { pool, queue: context.options.queue!, notifier: context.options.notifier, feedback };
  const tokenId = `hook:${delivery.source}`;

  if (pr.action === "closed") {
    const ids: string[] = [];
    for (const { stack } of previews) {
      const preview = stack ? await previewByStack(pool, stack) : null;
      const id = preview ? await destroyPreview(destroyContext, preview, `pull request #${pr.number} was ${pr.merged ? "merged" : "closed"}`, tokenId) : null;
      if (id) ids.push(id);
    }
    if (ids.length === 0) return { kind: "ignored", message: `pull request #${pr.number} closed: no preview of it is up; nothing is queued` };
    return { kind: "queued", deployments: ids, message: `pull request #${pr.number} closed: ${ids.length} preview(s) being destroyed` };
  }

  const notice = (preview: RulePreview, extra: Partial<Parameters<typeof feedback>[0]> & Pick<Parameters<typeof feedback>[0], "state">) =>
    feedback({ source: delivery.ruleSource, repository: pr.repository, number: pr.number, commit: pr.commit, stack: preview.stack, url: null, version: pr.commit.slice(0, 12), deploymentId: null, ...extra });
  const wanted: { preview: RulePreview; withholdSecrets: boolean }[] = [];
  const skipped: string[] = [];
  for (const preview of previews) {
    const decision = forkDecision(preview.rule.forks, pr.fork);
    if (!decision.deploy) {
      if (preview.stack) notice(preview, { state: "refused", failure: { status: "error", stage: "access", reason: decision.reason, fix_suggestion: "Push the branch to the repository itself, or ask its maintainers to deploy it." } });
      skipped.push(`${preview.stack || "a preview"}: ${decision.reason}`);
      continue;
    }
    const current = preview.stack ? await previewByStack(pool, preview.stack) : null;
    if (current && current.head_sha === pr.commit && ["queued", "deploying", "live"].includes(current.state)) {
      skipped.push(`${preview.stack}: commit ${pr.commit.slice(0, 12)} is already ${current.state}`);
      continue;
    }
    wanted.push({ preview, withholdSecrets: decision.withholdSecrets });
  }
  if (wanted.length === 0) return { kind: "ignored", message: `pull request #${pr.number}: nothing to deploy (${skipped.join("; ")})` };

  const access = delivery.ruleSource === "github" ? gitHubAccess(config) : null;
  let checkout: CommitCheckout | null = null;
  if (access) {
    const fetched = await access.checkout(pr.repository, pr.commit);
    if ("status" in fetched) return { kind: "unavailable", failure: fetched };
    checkout = fetched;
  }
  try {
    // Every rule's request is planned and packaged before any is queued: all of them, or none.
    const accepted = [];
    for (const { preview, withholdSecrets } of wanted) {
      const result = await acceptRuleDelivery(preview.rule, { ruleSource: delivery.ruleSource, repository: pr.repository, commit: pr.commit, checkout, pullRequest: pr.number, withholdSecrets }, context.grants);
      if (!result.ok) {
        if (preview.stack) notice(preview, { state: "failed", failure: result.failure });
        return { kind: "refused", failure: result.failure, detail: result.detail };
      }
      accepted.push({ preview, result, withholdSecrets });
    }
    const ids: string[] = [];
    for (const [index, { preview, result }] of accepted.entries()) {
      const { deployment } = await submitDeployment(pool, context.options.queue!, {
        tokenId,
        request: result.request,
        accepted: result.deployment,
        idempotencyKey: index === 0 ? delivery.key : `${delivery.key}#${index + 1}`,
        notifier: context.options.notifier,
      });
      const stack = result.deployment.stack;
      await supersedeQueued(pool, stack, deployment.id);
      const spec = result.deployment.planned?.spec;
      await recordQueuedPreview(pool, {
        stack,
        projectId: result.deployment.projectId,
        environment: previewEnvironment(pr.number),
        source: delivery.ruleSource,
        repository: pr.repository,
        number: pr.number,
        headSha: pr.commit,
        fork: pr.fork,
        deploymentId: deployment.id,
        ttlHours: spec?.ttl_hours ?? DEFAULT_PREVIEW_TTL_HOURS,
      });
      notice({ ...preview, stack }, { state: "queued", deploymentId: deployment.id, notes: result.deployment.planned?.warnings.filter((line) => line.startsWith("fork pull request") || line.startsWith("content:")) });
      ids.push(deployment.id);
      await enforcePreviewCap(destroyContext, result.deployment.projectId, preview.rule.max_previews);
    }
    return { kind: "queued", deployments: ids, message: `pull request #${pr.number}: ${ids.length} preview deployment(s) queued for commit ${pr.commit.slice(0, 12)}` };
  } finally {
    await checkout?.remove();
  }
}
