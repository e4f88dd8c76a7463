import { failure } from "../../outcome";
import type { GitHubClient, GitHubOutcome } from "./client";
import type { CommitRef } from "./commit-archive";

/** A commit status's state, as GitHub names them. */
export type CommitStatusState = "pending" | "success" | "failure" | "error";

/** What a commit status says. */
export interface CommitStatus {
  readonly state: CommitStatusState;
  /** Where the status links to: the preview's URL once it is live. Only http(s) URLs are sent. */
  readonly targetUrl?: string | null;
  /** One line; longer text is cut to GitHub's 140 characters. */
  readonly description: string;
  /** Which status this is among a commit's statuses, e.g. `deployment-planner/preview` or `deployment-planner/preview/shop`. */
  readonly context: string;
}

/** The most a commit status's description may hold. */
export const STATUS_DESCRIPTION_LIMIT = 140;

/** The context of a project's preview status: `deployment-planner/preview/<project>`. */
export function previewStatusContext(projectId: string): string {
  return `deployment-planner/preview/${projectId}`;
}

/**
 * Sets a status on a commit (`POST /repos/{owner}/{repo}/statuses/{sha}`); a later status with the same context
 * replaces what the pull request shows. The description is cut to 140 characters on one line.
 */
export async function setCommitStatus(client: GitHubClient, commit: CommitRef, status: CommitStatus): Promise<GitHubOutcome<{ id: number }>> {
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit.sha)) {
    return { ok: false, status: null, failure: failure("validation", `not a commit SHA: ${JSON.stringify(commit.sha.slice(0, 80))}`, "Set statuses on a full commit SHA.") };
  }
  const targetUrl = httpUrl(status.targetUrl);
  const result = await client.call(`setting the ${status.state} status ${status.context} on ${commit.owner}/${commit.repo}@${commit.sha.slice(0, 7)}`, (octokit) =>
    octokit.rest.repos.createCommitStatus({
      owner: commit.owner,
      repo: commit.repo,
      sha: commit.sha,
      state: status.state,
      description: oneLine(status.description, STATUS_DESCRIPTION_LIMIT),
      context: oneLine(status.context, 255),
      ...(targetUrl ? { target_url: targetUrl } : {}),
    }),
  );
  return result.ok ? { ok: true, value: { id: result.value.data.id } } : result;
}

/** Text on one line, at most `limit` characters (cut with an ellipsis). */
function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit - 1)}…`;
}

function httpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}
