import type { ChangeSummary, PlannedStep } from "../../automation/workspace/operation-types";
import { failure, type FailureResult } from "../../outcome";
import type { GitHubClient, GitHubOutcome } from "./client";

/** Where a pull request's preview is in its life. */
export const PREVIEW_STATES = ["queued", "deploying", "live", "failed", "destroyed"] as const;
/** One of `PREVIEW_STATES`. */
export type PreviewState = (typeof PREVIEW_STATES)[number];

/** What the engine plans for the preview: counts by operation, and the planned steps where known. */
export interface PreviewPlan {
  readonly changeSummary: ChangeSummary;
  /** Steps other than `same`; destructive ones (replace, delete) are listed first, stateful resources called out. */
  readonly steps?: readonly PlannedStep[];
}

/** Everything the pull request's comment says about one project's preview. */
export interface PreviewView {
  /** The project whose preview this is; one comment per project and pull request. */
  readonly projectId: string;
  readonly pullRequest: number;
  readonly state: PreviewState;
  /** The commit the preview runs or will run (its full SHA; shown short). */
  readonly commitSha: string;
  /** The preview's URL once it is live. */
  readonly url?: string | null;
  /** The stack, e.g. `shop.preview-pr-42`. */
  readonly stack?: string | null;
  readonly plan?: PreviewPlan | null;
  /** Why the preview failed: stage, reason and fix suggestion. */
  readonly failure?: Pick<FailureResult, "stage" | "reason" | "fix_suggestion"> | null;
  /** Further lines for the reader, e.g. that a fork's preview runs without secrets, or why a preview was destroyed. */
  readonly notes?: readonly string[];
  /** When this state was reached; a comment already showing a later state is not overwritten. @default now */
  readonly at?: Date;
}

/** A pull request on GitHub. */
export interface PullRequestRef {
  readonly owner: string;
  readonly repo: string;
  /** The pull request's number (an issue number: comments on it are issue comments). */
  readonly number: number;
}

const PROJECT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The hidden first line that finds a project's comment again in a pull request: `<!-- deployment-planner:preview:<id> -->`. */
export function previewCommentMarker(projectId: string): string {
  if (!PROJECT_ID.test(projectId)) throw new Error(`not a project id: ${JSON.stringify(projectId)}`);
  return `<!-- deployment-planner:preview:${projectId} -->`;
}

const MARKER_LINE = /^<!-- deployment-planner:preview:([a-z0-9][a-z0-9-]{0,62}) -->/;
const UPDATED_LINE = /<!-- deployment-planner:updated:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) -->/;

const HEADLINE: Record<PreviewState, string> = {
  queued: "⏳ Preview queued",
  deploying: "🚀 Preview deploying",
  live: "✅ Preview live",
  failed: "❌ Preview failed",
  destroyed: "🗑️ Preview destroyed",
};

const STATE_TEXT: Record<PreviewState, string> = {
  queued: "Queued: waiting for a worker",
  deploying: "Deploying",
  live: "Live",
  failed: "Failed",
  destroyed: "Destroyed: its resources are gone",
};

/** Resource types that hold data a replacement or deletion loses. */
const STATEFUL_TYPE = /datastore|database|\bdb|rds|dynamodb|sql|mongo|redis|elasticache|memcache|bucket|s3:|storage|volume|disk|filestore|firestore|bigtable|table|queue|kafka|secret/i;

/** Whether a resource type holds data (a database, a bucket, a volume): replacing or deleting it loses that data. */
export function isStatefulType(type: string): boolean {
  return STATEFUL_TYPE.test(type);
}

/**
 * Renders the pull request's comment for one project's preview, in Markdown: the hidden marker, the state, the
 * preview's URL, the version (the commit's short SHA), the plan with destructive changes first (replacements and
 * deletions, stateful resources called out), and on failure the stage, reason and fix. Every text that came from a
 * request, a commit or the engine is escaped, so it shows as written and cannot inject Markdown or HTML.
 */
export function renderPreviewComment(view: PreviewView): string {
  const at = view.at ?? new Date();
  const lines = [previewCommentMarker(view.projectId), `<!-- deployment-planner:updated:${at.toISOString()} -->`];
  lines.push(`### ${HEADLINE[view.state]}: ${escapeMarkdown(view.projectId)}`, "");
  lines.push("| | |", "|---|---|");
  lines.push(`| State | **${STATE_TEXT[view.state]}** |`);
  const url = safeUrl(view.url);
  if (url && view.state !== "destroyed") lines.push(`| Preview | [${escapeMarkdown(url)}](${url}) |`);
  lines.push(`| Version | ${shortSha(view.commitSha)} |`);
  if (view.stack) lines.push(`| Stack | ${/^[a-z0-9][a-z0-9.-]{0,200}$/.test(view.stack) ? `\`${view.stack}\`` : escapeMarkdown(view.stack)} |`);
  lines.push(`| Updated | ${at.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")} |`);
  if (view.failure) {
    lines.push("", "#### Why it failed", "");
    lines.push(`- **Stage:** ${escapeMarkdown(view.failure.stage)}`);
    lines.push(`- **Reason:** ${escapeMarkdown(view.failure.reason)}`);
    lines.push(`- **Fix:** ${escapeMarkdown(view.failure.fix_suggestion)}`);
  }
  if (view.plan) lines.push("", ...renderPlan(view.plan));
  if (view.notes && view.notes.length > 0) lines.push("", ...view.notes.map((note) => `> ${escapeMarkdown(note)}`));
  return `${lines.join("\n")}\n`;
}

/** The plan section: destructive steps first, then the other changes, then the counts. */
function renderPlan(plan: PreviewPlan): string[] {
  const lines = ["#### Plan", ""];
  const steps = plan.steps ?? [];
  const destructive = steps.filter((step) => isDestructive(step.op));
  if (destructive.length > 0) {
    lines.push("**Destructive changes**", "");
    for (const step of destructive) {
      const warning = isStatefulType(step.type) ? " — ⚠️ **stateful: its data is lost**" : "";
      lines.push(`- **${escapeMarkdown(step.op)}** ${escapeMarkdown(step.name)} (${escapeMarkdown(step.type)})${warning}`);
    }
    lines.push("");
  }
  const others = steps.filter((step) => !isDestructive(step.op) && step.op !== "same");
  if (others.length > 0) {
    lines.push("**Other changes**", "");
    for (const step of others.slice(0, 50)) lines.push(`- ${escapeMarkdown(step.op)} ${escapeMarkdown(step.name)} (${escapeMarkdown(step.type)})`);
    if (others.length > 50) lines.push(`- … and ${others.length - 50} more`);
    lines.push("");
  }
  const counts = Object.entries(plan.changeSummary)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => Number(isDestructive(b)) - Number(isDestructive(a)) || a.localeCompare(b))
    .map(([op, count]) => (op === "same" ? `${count} unchanged` : `${count} to ${escapeMarkdown(op)}`));
  lines.push(counts.length > 0 ? `Resources: ${counts.join(", ")}` : "Resources: no changes");
  return lines;
}

/** Operations that lose a resource: a replacement (create then delete, or the reverse) or a deletion. */
function isDestructive(op: string): boolean {
  return /replace|delete|discard/i.test(op);
}

/** The commit's short SHA; anything that is not a SHA shows as escaped text. */
function shortSha(sha: string): string {
  return /^[0-9a-f]{7,64}$/.test(sha) ? `\`${sha.slice(0, 7)}\`` : escapeMarkdown(sha.slice(0, 64));
}

/** An http(s) URL with nothing in it that could end the Markdown link, or null. */
function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
    return parsed.href.replace(/[()<>\s"'`]/g, (c) => encodeURIComponent(c));
  } catch {
    return null;
  }
}

/**
 * Escapes text for a Markdown line on GitHub: HTML's special characters become entities, Markdown's punctuation is
 * backslash-escaped, line breaks become spaces (a caller's text cannot start a new block), and `@` cannot mention.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, "\\$&")
    .replace(/@/g, "@\u200b");
}

/** The marker and time of a comment this service wrote, or null for any other comment. */
export function readPreviewComment(body: string): { projectId: string; updatedAt: Date | null } | null {
  const marker = MARKER_LINE.exec(body);
  if (!marker) return null;
  const updated = UPDATED_LINE.exec(body);
  return { projectId: marker[1]!, updatedAt: updated ? new Date(updated[1]!) : null };
}

/** What `upsertPreviewComment` did. */
export type CommentAction = "created" | "updated" | "kept-newer";

/**
 * Writes the project's comment in the pull request: finds the comment that starts with the body's marker (reading
 * every page of the pull request's comments) and edits it, or creates one, so a restart never duplicates it. A
 * comment already showing a later time than the body's is kept (an older state never overwrites a newer one). A
 * marked comment the client may not edit (someone else copied the marker) is passed over.
 */
export async function upsertPreviewComment(client: GitHubClient, pull: PullRequestRef, body: string): Promise<GitHubOutcome<{ action: CommentAction; commentId: number }>> {
  const mine = readPreviewComment(body);
  if (!mine) return { ok: false, status: null, failure: failure("internal", "the preview comment has no marker", "Render the comment with renderPreviewComment.") };
  const where = `the preview comment on ${pull.owner}/${pull.repo}#${pull.number}`;
  const listed = await client.call(`listing the comments of ${pull.owner}/${pull.repo}#${pull.number}`, (octokit) =>
    octokit.paginate(octokit.rest.issues.listComments, { owner: pull.owner, repo: pull.repo, issue_number: pull.number, per_page: 100 }),
  );
  if (!listed.ok) return listed;
  const marked = listed.value.filter((comment) => readPreviewComment(comment.body ?? "")?.projectId === mine.projectId);
  for (const comment of marked) {
    const shown = readPreviewComment(comment.body ?? "")!;
    if (shown.updatedAt && mine.updatedAt && shown.updatedAt > mine.updatedAt) return { ok: true, value: { action: "kept-newer", commentId: comment.id } };
    const edited = await client.call(`editing ${where}`, (octokit) => octokit.rest.issues.updateComment({ owner: pull.owner, repo: pull.repo, comment_id: comment.id, body }));
    if (edited.ok) return { ok: true, value: { action: "updated", commentId: comment.id } };
    if (edited.status !== 403 && edited.status !== 404) return edited;
  }
  const created = await client.call(`creating ${where}`, (octokit) => octokit.rest.issues.createComment({ owner: pull.owner, repo: pull.repo, issue_number: pull.number, body }));
  return created.ok ? { ok: true, value: { action: "created", commentId: created.value.data.id } } : created;
}
