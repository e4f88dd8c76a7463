import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HookRule } from "../../src/service/config";
import { serviceGrants } from "../../src/service/grants";
import { genericMeaning, githubMeaning, matchingRules, pullRequestRules, ruleRequest, sourceInCheckout } from "../../src/service/hook-checks";
import { forkDecision, withheldSecretsNote, withoutSecrets } from "../../src/service/previews";

const HEAD = "a".repeat(40);

/** A GitHub `pull_request` delivery's payload, as GitHub sends it (the fields read, and some it also sends). */
function githubPullRequest(action: string, options: { number?: number; head?: string | null; merged?: boolean } = {}) {
  return {
    action,
    number: options.number ?? 42,
    repository: { full_name: "Acme/Shop", private: false },
    sender: { login: "someone" },
    pull_request: {
      number: options.number ?? 42,
      merged: options.merged ?? false,
      head: { ref: "feature", sha: HEAD, repo: options.head === null ? null : { full_name: options.head ?? "Acme/Shop" } },
      base: { ref: "main", sha: "b".repeat(40), repo: { full_name: "Acme/Shop" } },
    },
  };
}

const rule = (fields: Partial<HookRule>): HookRule => ({ source: "github", repository: "acme/shop", request: "shop.yaml", requestFile: "/nonexistent/shop.yaml", pull_requests: false, forks: "secretless", max_previews: 10, ...fields });

describe("pull-request deliveries", () => {
  it("reads GitHub's opened, reopened and synchronize as a deploy of the head commit, and closed (merged or not) as its end", () => {
    for (const action of ["opened", "reopened", "synchronize"] as const) {
      expect(githubMeaning("pull_request", githubPullRequest(action))).toEqual({ pullRequest: { repository: "Acme/Shop", number: 42, action, commit: HEAD, fork: false, merged: false } });
    }
    expect(githubMeaning("pull_request", githubPullRequest("closed", { merged: true }))).toMatchObject({ pullRequest: { action: "closed", merged: true } });
    expect(githubMeaning("pull_request", githubPullRequest("closed"))).toMatchObject({ pullRequest: { action: "closed", merged: false } });
  });

  it("calls a head repository other than the base a fork (case ignored), and so one whose fork was deleted", () => {
    expect(githubMeaning("pull_request", githubPullRequest("opened", { head: "acme/shop" }))).toMatchObject({ pullRequest: { fork: false } });
    expect(githubMeaning("pull_request", githubPullRequest("opened", { head: "mallory/shop" }))).toMatchObject({ pullRequest: { fork: true } });
    expect(githubMeaning("pull_request", githubPullRequest("opened", { head: null }))).toMatchObject({ pullRequest: { fork: true } });
  });

  it("ignores other pull-request actions with a reason, and refuses a payload that is not a pull request's", () => {
    expect(githubMeaning("pull_request", githubPullRequest("labeled"))).toEqual({ ignored: expect.stringContaining("#42 labeled") });
    expect(githubMeaning("pull_request", { action: "opened", number: 1 })).toBeNull();
    expect(githubMeaning("pull_request", { ...githubPullRequest("opened"), number: -1 })).toBeNull();
    expect(githubMeaning("pull_request", { ...githubPullRequest("opened"), pull_request: { head: { sha: "not-a-sha", repo: null } } })).toBeNull();
    expect(githubMeaning("issues", {})).toEqual({ ignored: expect.stringContaining("only push and pull_request") });
  });

  it("reads a generic hook's pull request { repository, number, head_commit, action, fork } beside its push shape", () => {
    expect(genericMeaning({ repository: "group/shop", number: 7, head_commit: "ABCDEF1", action: "synchronize", fork: true })).toEqual({
      pullRequest: { repository: "group/shop", number: 7, action: "synchronize", commit: "abcdef1", fork: true, merged: false },
    });
    expect(genericMeaning({ repository: "group/shop", number: 7, head_commit: "abcdef1", action: "opened" })).toMatchObject({ pullRequest: { fork: false } });
    expect(genericMeaning({ repository: "group/shop", branch: "main", commit: "abcdef1" })).toEqual({ target: { repository: "group/shop", branch: "main", commit: "abcdef1" } });
    expect(genericMeaning({ repository: "group/shop", number: 7, head_commit: "abcdef1", action: "edited" })).toBeNull();
    expect(genericMeaning({ repository: "group/shop", number: "7", head_commit: "abcdef1", action: "opened" })).toBeNull();
  });

  it("matches pull requests to the rules that set pull_requests, and pushes only to rules naming the branch", () => {
    const rules = [rule({ pull_requests: true }), rule({ branch: "main" }), rule({ branch: "main", pull_requests: true }), rule({ source: "ci", pull_requests: true })];
    expect(pullRequestRules(rules, "github", "ACME/shop")).toEqual([rules[0], rules[2]]);
    expect(pullRequestRules(rules, "ci", "ACME/shop")).toEqual([]);
    expect(pullRequestRules(rules, "ci", "acme/shop")).toEqual([rules[3]]);
    expect(matchingRules(rules, "github", { repository: "acme/shop", branch: "main" })).toEqual([rules[1], rules[2]]);
  });

  it("applies the fork policies: secretless withholds every secret and says which, refuse deploys nothing, allow deploys as any", () => {
    expect(forkDecision("secretless", false)).toEqual({ deploy: true, withholdSecrets: false });
    expect(forkDecision("secretless", true)).toEqual({ deploy: true, withholdSecrets: true });
    expect(forkDecision("refuse", true)).toEqual({ deploy: false, reason: expect.stringContaining("forks: refuse") });
    expect(forkDecision("allow", true)).toEqual({ deploy: true, withholdSecrets: false });
    const stripped = withoutSecrets({ project_id: "shop", secrets: { STRIPE_KEY: "vault:shop/stripe#key", API_TOKEN: "env:TOKEN" } });
    expect(stripped).toEqual({ request: { project_id: "shop" }, withheld: ["API_TOKEN", "STRIPE_KEY"] });
    expect(withheldSecretsNote(stripped.withheld)).toBe("fork pull request: secrets withheld (forks: secretless); API_TOKEN, STRIPE_KEY are not set");
  });
});

describe("a rule's request for a commit or a pull request", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dp-preview-events-"));
    await writeFile(path.join(dir, "shop.yaml"), "project_id: shop\ndeployment_type: static_site\ntech_stack: [HTML]\nenvironment: { ENV: development }\nsource: site\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps a source inside the repository's root and refuses one that leaves it", () => {
    expect(sourceInCheckout("/co/repo", "site")).toBe("/co/repo/site");
    expect(sourceInCheckout("/co/repo", "/apps/site")).toBe("/co/repo/apps/site");
    expect(sourceInCheckout("/co/repo", ".")).toBe("/co/repo");
    expect(sourceInCheckout("/co/repo", "../other")).toBeNull();
    expect(sourceInCheckout("/co/repo", "apps/../../etc")).toBeNull();
  });

  it("deploys a pull request to preview-pr-<number> under the commit's name, its source read in the checkout", async () => {
    const grants = await serviceGrants({}, [dir]);
    const prepared = await ruleRequest(rule({ pull_requests: true, requestFile: path.join(dir, "shop.yaml") }), HEAD, grants, { checkoutDir: "/co/repo", pullRequest: 42 });
    expect(prepared).toMatchObject({ ok: true, request: { environment: { ENV: "preview", NAME: "pr-42" }, version_name: HEAD.slice(0, 12), source: "/co/repo/site" } });
  });

  it("refuses a checkout request whose source leaves the repository, naming the rule and no path", async () => {
    await writeFile(path.join(dir, "escape.yaml"), "project_id: shop\ndeployment_type: static_site\ntech_stack: [HTML]\nenvironment: { ENV: development }\nsource: ../../etc\n");
    const grants = await serviceGrants({}, [dir]);
    const prepared = await ruleRequest(rule({ pull_requests: true, requestFile: path.join(dir, "escape.yaml") }), HEAD, grants, { checkoutDir: "/co/repo", pullRequest: 1 });
    expect(prepared).toMatchObject({ ok: false, failure: { stage: "plan", reason: expect.stringContaining("the pull-request rule for acme/shop names a source outside the repository") } });
    expect(JSON.stringify((prepared as { failure: unknown }).failure)).not.toContain("/co/repo");
  });
});
