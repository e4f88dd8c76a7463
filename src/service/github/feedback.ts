import type { GitHubClient } from "./client";
import { previewStatusContext, setCommitStatus, type CommitStatus } from "./commit-status";
import { renderPreviewComment, upsertPreviewComment, type CommentAction, type PreviewView, type PullRequestRef } from "./preview-comment";

/** What became of one state change's feedback. */
export interface FeedbackDelivery {
  /**
   * `delivered`: the comment (and status) were written, or GitHub refused them for good, as `problems` says;
   * `superseded`: a newer state of the same preview arrived before this one was sent, and only the newer was sent.
   */
  readonly outcome: "delivered" | "superseded";
  /** What happened to the comment; null when superseded or when GitHub refused it. */
  readonly comment: CommentAction | null;
  /** Whether the commit status was set; false also when the state sets none (`destroyed`). */
  readonly status: boolean;
  /** GitHub's refusals, one line each (already logged as warnings by the client). */
  readonly problems: readonly string[];
}

interface Waiting {
  readonly pull: PullRequestRef;
  readonly view: PreviewView;
  readonly resolve: (delivery: FeedbackDelivery) => void;
}

/** One pull request's (and project's) feedback: at most one delivery running and one waiting. */
interface Lane {
  running: Promise<void> | null;
  waiting: Waiting | null;
}

const lanesByClient = new WeakMap<GitHubClient, Map<string, Lane>>();

/**
 * Tells the pull request about a preview's new state: edits (or creates) the project's comment and sets the head
 * commit's status (`pending` while queued or deploying, `success` with the preview's URL once live, `failure` with
 * the stage and reason; a destroyed preview changes the comment only). The work runs in the background and the
 * returned promise never rejects, so a caller that does not wait for it is never held up. Deliveries are ordered per
 * pull request and project: while one runs, only the newest of the states that arrive meanwhile waits (the others are
 * `superseded`), so an older state never overwrites a newer one. Each call to GitHub is retried by the client within
 * its bounds; a delivery GitHub still refuses is logged and given up.
 */
export function previewFeedback(client: GitHubClient, pull: PullRequestRef, view: PreviewView): Promise<FeedbackDelivery> {
  const stamped: PreviewView = { ...view, at: view.at ?? new Date() };
  let lanes = lanesByClient.get(client);
  if (!lanes) lanesByClient.set(client, (lanes = new Map()));
  const key = `${pull.owner}/${pull.repo}#${pull.number}:${view.projectId}`.toLowerCase();
  let lane = lanes.get(key);
  if (!lane) lanes.set(key, (lane = { running: null, waiting: null }));
  const current = lane;
  return new Promise<FeedbackDelivery>((resolve) => {
    current.waiting?.resolve({ outcome: "superseded", comment: null, status: false, problems: [] });
    current.waiting = { pull, view: stamped, resolve };
    if (!current.running) current.running = drain(client, current, () => lanes!.delete(key));
  });
}

/** Resolves once every delivery queued so far through this client has been sent or given up. */
export async function previewFeedbackSettled(client: GitHubClient): Promise<void> {
  for (;;) {
    const running = [...(lanesByClient.get(client)?.values() ?? [])].map((lane) => lane.running).filter((p): p is Promise<void> => p !== null);
    if (running.length === 0) return;
    await Promise.all(running);
  }
}

async function drain(client: GitHubClient, lane: Lane, forget: () => void): Promise<void> {
  // Let the caller's synchronous work (and further states of the same instant) go first.
  await Promise.resolve();
  while (lane.waiting) {
    const next = lane.waiting;
    lane.waiting = null;
    next.resolve(await deliver(client, next.pull, next.view));
  }
  lane.running = null;
  forget();
}

async function deliver(client: GitHubClient, pull: PullRequestRef, view: PreviewView): Promise<FeedbackDelivery> {
  const problems: string[] = [];
  let comment: CommentAction | null = null;
  try {
    const written = await upsertPreviewComment(client, pull, renderPreviewComment(view));
    if (written.ok) comment = written.value.action;
    else problems.push(written.failure.reason);
    let status = false;
    const wanted = statusFor(view);
    if (wanted) {
      const set = await setCommitStatus(client, { owner: pull.owner, repo: pull.repo, sha: view.commitSha }, wanted);
      if (set.ok) status = true;
      else problems.push(set.failure.reason);
    }
    return { outcome: "delivered", comment, status, problems };
  } catch (error) {
    // The client turns GitHub's answers into outcomes; anything thrown here is a bug, and still must not escape.
    return { outcome: "delivered", comment, status: false, problems: [...problems, `preview feedback failed: ${(error as Error).message}`] };
  }
}

/** The commit status a state sets, or null for one that leaves the status as it is. */
export function statusFor(view: PreviewView): CommitStatus | null {
  const context = previewStatusContext(view.projectId);
  const version = view.commitSha.slice(0, 7);
  switch (view.state) {
    case "queued":
      return { state: "pending", description: `Preview of ${version} queued`, context };
    case "deploying":
      return { state: "pending", description: `Deploying the preview of ${version}`, context };
    case "live":
      return { state: "success", targetUrl: view.url ?? null, description: view.url ? `Preview live at ${view.url}` : `Preview of ${version} live`, context };
    case "failed":
      return { state: "failure", description: view.failure ? `Preview failed at ${view.failure.stage}: ${view.failure.reason}` : `Preview of ${version} failed`, context };
    case "destroyed":
      return null;
  }
}
