import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_PREVIEWS, hasGitHubApi, loadServiceConfig, type ServiceConfig } from "../../src/service/config";
import type { FailureResult } from "../../src/outcome";

/** The service configuration's pull-request preview settings: GitHub's API access and the rules' preview fields. */
describe("the service configuration of pull-request previews", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dp-preview-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(yaml: string): Promise<ServiceConfig | FailureResult> {
    const file = path.join(dir, `service-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    return loadServiceConfig(file);
  }
  const problemsOf = (result: ServiceConfig | FailureResult): string[] => {
    expect(result).toMatchObject({ status: "error", stage: "validation" });
    const failed = result as FailureResult & { problems?: string[] };
    return failed.problems ?? [failed.reason.replace(/^service configuration: /, "")];
  };

  it("reads the issue's shape: token API access, a pull-request rule without a branch, its defaults", async () => {
    const config = await load(
      [
        "hooks:",
        "  github:",
        "    secret: env:GITHUB_WEBHOOK_SECRET",
        "    api_url: https://github.example.com/api/v3",
        "    token: env:GITHUB_TOKEN",
        "  rules:",
        "    - { source: github, repository: acme/shop, pull_requests: true, request: shop.yaml }",
        "    - { source: github, repository: acme/shop, pull_requests: true, request: shop.yaml, forks: refuse, max_previews: 2 }",
        "    - { source: github, repository: acme/shop, branch: main, request: shop.yaml }",
        "previews: { sweep_interval_seconds: 5 }",
      ].join("\n"),
    );
    if ("status" in config) throw new Error(config.reason);
    expect(config.hooks.github).toMatchObject({ api_url: "https://github.example.com/api/v3", token: "env:GITHUB_TOKEN" });
    expect(hasGitHubApi(config.hooks.github)).toBe(true);
    expect(config.hooks.rules[0]).toMatchObject({ pull_requests: true, forks: "secretless", max_previews: DEFAULT_MAX_PREVIEWS, requestFile: path.join(dir, "shop.yaml") });
    expect(config.hooks.rules[0]!.branch).toBeUndefined();
    expect(config.hooks.rules[1]).toMatchObject({ forks: "refuse", max_previews: 2 });
    expect(config.hooks.rules[2]).toMatchObject({ branch: "main", pull_requests: false });
    expect(config.previews).toEqual({ sweep_interval_seconds: 5 });
  });

  it("takes a GitHub App instead of a token, defaults the API to api.github.com, and without either has no API access", async () => {
    const app = await load("hooks:\n  github: { secret: env:S, app: { id: 12, private_key: 'file:keys.env#GITHUB_APP_KEY', installation_id: 34 } }\n");
    if ("status" in app) throw new Error(app.reason);
    expect(app.hooks.github).toMatchObject({ api_url: "https://api.github.com", app: { id: 12, installation_id: 34 } });
    expect(hasGitHubApi(app.hooks.github)).toBe(true);
    const hookOnly = await load("hooks:\n  github: { secret: env:S }\n");
    if ("status" in hookOnly) throw new Error(hookOnly.reason);
    expect(hasGitHubApi(hookOnly.hooks.github)).toBe(false);
    expect(hookOnly.previews).toEqual({ sweep_interval_seconds: 3600 });
  });

  it("refuses a rule with neither a branch nor pull_requests, an unknown fork policy and a cap below one, naming each field", async () => {
    const problems = problemsOf(
      await load(
        [
          "hooks:",
          "  rules:",
          "    - { source: github, repository: acme/shop, request: shop.yaml }",
          "    - { source: github, repository: acme/shop, pull_requests: true, forks: trusted, request: shop.yaml }",
          "    - { source: github, repository: acme/shop, pull_requests: true, max_previews: 0, request: shop.yaml }",
        ].join("\n"),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hooks\.rules\.0\.branch: .*pull_requests: true/),
        expect.stringMatching(/^hooks\.rules\.1\.forks: .*secretless.*refuse.*allow/),
        expect.stringMatching(/^hooks\.rules\.2\.max_previews: /),
      ]),
    );
  });

  it("refuses a credential written as a value, both a token and an app, a non-http API URL and a sweep slower than hourly", async () => {
    const problems = problemsOf(
      await load(
        [
          "hooks:",
          "  github:",
          "    secret: env:S",
          "    api_url: ftp://github.example.com",
          "    token: ghp_plainTextTokenValue",
          "    app: { id: 1, private_key: env:KEY, installation_id: 2 }",
          "previews: { sweep_interval_seconds: 7200 }",
        ].join("\n"),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hooks\.github\.api_url: an http\(s\) URL/),
        expect.stringMatching(/^hooks\.github\.token: a secret reference/),
        expect.stringMatching(/^previews\.sweep_interval_seconds: /),
      ]),
    );
    // The value given where a reference belongs is never repeated.
    expect(JSON.stringify(problems)).not.toContain("ghp_plainTextTokenValue");
    const both = problemsOf(await load("hooks:\n  github: { secret: env:S, token: env:T, app: { id: 1, private_key: env:KEY, installation_id: 2 } }\n"));
    expect(both).toEqual([expect.stringMatching(/^hooks\.github\.token: name either token or app/)]);
  });
});
