/**
 * The service's side of GitHub: a REST client with bounded retries that never throws into a deployment, a commit's
 * files fetched as an archive and unpacked safely, and the feedback a pull request's preview gives (one comment edited
 * in place, a commit status).
 */
export { createGitHubClient, retryAfterSeconds, type GitHubAuth, type GitHubClient, type GitHubClientSettings, type GitHubOutcome, type GitHubRetrySettings } from "./client";
export { DEFAULT_ARCHIVE_LIMITS, fetchCommitSource, unpackCommitArchive, type ArchiveLimits, type CommitRef, type CommitSource, type CommitSourceOutcome } from "./commit-archive";
export { previewStatusContext, setCommitStatus, STATUS_DESCRIPTION_LIMIT, type CommitStatus, type CommitStatusState } from "./commit-status";
export { previewFeedback, previewFeedbackSettled, statusFor, type FeedbackDelivery } from "./feedback";
export {
  escapeMarkdown,
  isStatefulType,
  PREVIEW_STATES,
  previewCommentMarker,
  readPreviewComment,
  renderPreviewComment,
  upsertPreviewComment,
  type CommentAction,
  type PreviewPlan,
  type PreviewState,
  type PreviewView,
  type PullRequestRef,
} from "./preview-comment";
