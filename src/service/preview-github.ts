import { mkdtemp, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FailureResult } from "../outcome";
import { resolveSecrets } from "../secrets/index";
import { hasGitHubApi, type ServiceConfig } from "./config";
import { createGitHubClient, fetchCommitSource, previewFeedback, type GitHubClient, type PreviewPlan } from "./github/index";
import { NO_PREVIEW_FEEDBACK, type PreviewFeedback } from "./previews";

/**
 * The service's use of GitHub's API as its configuration names it (`hooks.github.token` or `.app`): a commit's files
 * for a deployment, and a preview's feedback in its pull request. Credentials are resolved from their references when
 * first needed and never leave this module.
 */

/** A commit's files unpacked in a directory of their own, removed by `remove` once packaged. */
export interface CommitCheckout {
  /** The repository's root (symlinks resolved). */
  readonly dir: string;
  /** The archive's digest, as the commit's content was received. */
  readonly digest: string;
  remove(): Promise<void>;
}

/** GitHub's API for one service configuration; null methods when it names no API access. */
export interface GitHubAccess {
  /** Fetches `repository@sha` (`owner/name`) into a fresh directory: its files, or why not (stage `package`). */
  checkout(repository: string, sha: string): Promise<CommitCheckout | FailureResult>;
  /** Tells a GitHub pull request about its preview, in the background. */
  readonly feedback: PreviewFeedback;
  /** The client, for waiting on feedback in flight. */
  readonly client: GitHubClient;
}

const accessByConfig = new WeakMap<ServiceConfig, GitHubAccess | null>();

/** The GitHub API access `config` names, built once per configuration; null when it names none. */
export function gitHubAccess(config: ServiceConfig | undefined): GitHubAccess | null {
  if (!config || !hasGitHubApi(config.hooks.github)) return null;
  const cached = accessByConfig.get(config);
  if (cached !== undefined) return cached;
  const github = config.hooks.github;
  const resolve = async (ref: string, name: string): Promise<string> => {
    const resolution = await resolveSecrets([{ name, ref, required_by: [] }], { projectId: "service", baseDir: config.baseDir });
    if (!resolution.ok || resolution.secrets[0]!.value.length === 0) throw new Error(`the reference of hooks.github.${name === "GITHUB_TOKEN" ? "token" : "app.private_key"} cannot be resolved on the service`);
    return resolution.secrets[0]!.value;
  };
  // The client resolves its credentials lazily, on the first call, so a service starts without them being read.
  const client = lazyClient(async () =>
    createGitHubClient({
      apiUrl: github.api_url ?? "https://api.github.com",
      auth:
        "token" in github && github.token !== undefined
          ? { token: await resolve(github.token, "GITHUB_TOKEN") }
          : { appId: String(github.app!.id), privateKey: await resolve(github.app!.private_key, "GITHUB_APP_PRIVATE_KEY"), installationId: github.app!.installation_id },
    }),
    github.api_url ?? "https://api.github.com",
  );
  const access: GitHubAccess = {
    client,
    async checkout(repository, sha) {
      const [owner = "", repo = ""] = repository.split("/");
      const parent = await mkdtemp(path.join(os.tmpdir(), "dp-commit-"));
      const dest = path.join(parent, "repository");
      const fetched = await fetchCommitSource(client, { owner, repo, sha: sha.toLowerCase() }, dest);
      if (!fetched.ok) {
        await rm(parent, { recursive: true, force: true });
        return fetched.failure;
      }
      return { dir: await realpath(dest), digest: fetched.source.digest, remove: () => rm(parent, { recursive: true, force: true }) };
    },
    feedback: (notice) => {
      if (notice.source !== "github") return;
      const [owner = "", repo = ""] = notice.repository.split("/");
      const projectId = notice.stack.split(".")[0]!;
      // Never awaited: the feedback's promise never rejects and a deployment does not wait for GitHub.
      void previewFeedback(client, { owner, repo, number: notice.number }, {
        projectId,
        pullRequest: notice.number,
        state: notice.state === "refused" ? "failed" : notice.state === "destroying" ? "deploying" : notice.state,
        commitSha: notice.commit,
        url: notice.url,
        stack: notice.stack,
        plan: planOf(notice.result),
        failure: notice.failure ?? null,
        notes: notice.notes ?? [],
      });
    },
  };
  accessByConfig.set(config, access);
  return access;
}

/** The feedback of `config`'s GitHub access, or one that tells nobody. */
export function previewFeedbackFor(config: ServiceConfig | undefined): PreviewFeedback {
  return gitHubAccess(config)?.feedback ?? NO_PREVIEW_FEEDBACK;
}

/** A client whose construction (resolving the credentials) waits for its first call; a failed one is retried. */
function lazyClient(build: () => Promise<GitHubClient>, apiUrl: string): GitHubClient {
  let client: Promise<GitHubClient> | null = null;
  return {
    apiUrl,
    async call(what, run, stage) {
      client ??= build().catch((error: unknown) => {
        client = null;
        throw error;
      });
      let built: GitHubClient;
      try {
        built = await client;
      } catch (error) {
        const reason = `GitHub's API cannot be reached for ${what}: ${(error as Error).message}`;
        return { ok: false, status: null, failure: { status: "error", stage: stage ?? "env_setup", reason, fix_suggestion: "Ask the service's operator to check hooks.github's credentials." } };
      }
      return built.call(what, run, stage);
    },
  };
}

/** The plan summary a finished deployment's result gives the comment: its change counts (and steps, where kept). */
function planOf(result: Record<string, unknown> | null | undefined): PreviewPlan | null {
  const changes = result?.changes;
  if (!changes || typeof changes !== "object") return null;
  const steps = Array.isArray(result?.steps) ? (result.steps as PreviewPlan["steps"]) : undefined;
  return { changeSummary: changes as PreviewPlan["changeSummary"], ...(steps ? { steps } : {}) };
}

