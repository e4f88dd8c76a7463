import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A commit made on its own branch. */
export interface BranchCommit {
  readonly branch: string;
  readonly commit: string;
  /** The repository's root directory. */
  readonly repository: string;
}

/** Raised when the git CLI fails or the directory is not in a repository. */
export class GitError extends Error {
  override readonly name = "GitError";
  readonly code = "GIT_FAILED" as const;
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("git", args, { cwd, env: { ...process.env, ...env }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new GitError(`git ${args[0]} failed: ${(stderr || error.message).trim().split("\n")[0]}`));
      else resolve(stdout.trim());
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Commits new contents of one file on a new branch started from the current `HEAD`, without touching the working
 * tree, the index or the checked-out branch (git's plumbing, with an index of its own), and never pushes: the branch
 * is ready to open as a pull request. Fails when the branch exists already.
 */
export async function commitFileOnBranch(file: string, contents: string, branch: string, message: string): Promise<BranchCommit> {
  const dir = path.dirname(file);
  const repository = await git(dir, ["rev-parse", "--show-toplevel"]).catch(() => {
    throw new GitError(`${dir} is not inside a git repository`);
  });
  await git(repository, ["check-ref-format", "--branch", branch]);
  if (await git(repository, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).then(() => true, () => false)) {
    throw new GitError(`the branch ${branch} exists already`);
  }
  const head = await git(repository, ["rev-parse", "HEAD"]);
  const relative = path.relative(repository, file).split(path.sep).join("/");
  const scratch = await mkdtemp(path.join(os.tmpdir(), "dp-git-index-"));
  try {
    const env = { GIT_INDEX_FILE: path.join(scratch, "index") };
    await git(repository, ["read-tree", head], env);
    const blob = await git(repository, ["hash-object", "-w", "--stdin"], env, contents);
    await git(repository, ["update-index", "--add", "--cacheinfo", `100644,${blob},${relative}`], env);
    const tree = await git(repository, ["write-tree"], env);
    const commit = await git(repository, ["commit-tree", tree, "-p", head, "-F", "-"], env, message);
    await git(repository, ["update-ref", `refs/heads/${branch}`, commit, ""]);
    return { branch, commit, repository };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
