import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { cp, mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/service/api";
import { loadServiceConfig, type ServiceConfig } from "../../src/service/config";
import type { ServiceDatabase } from "../../src/service/database";
import { createToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");
const GITHUB_SECRET_ENV = `DP_HOOKS_TEST_GITHUB_SECRET_${process.pid}`;
const GENERIC_SECRET_ENV = `DP_HOOKS_TEST_CI_SECRET_${process.pid}`;
const githubSecret = randomBytes(24).toString("hex");
const genericSecret = randomBytes(24).toString("hex");

const hmac = (secret: string, ...parts: (string | Buffer)[]) => {
  const digest = createHmac("sha256", secret);
  for (const part of parts) digest.update(part);
  return `sha256=${digest.digest("hex")}`;
};
const commitSha = () => randomBytes(20).toString("hex");

/** The service's incoming webhooks on a real PostgreSQL, with a worker deploying what they queue on the local target. */
describe("the deployment service's signed webhooks", () => {
  let root = "";
  let service: ServiceHarness;
  let database: ServiceDatabase;
  let config: ServiceConfig;
  let base = "";
  let readToken = "";
  const siteProject = uniqueId("hooks");
  const releaseProject = uniqueId("hooks-ci");
  const stacks = [`${siteProject}.development`, `${releaseProject}.development`];
  // Every answer the hooks gave, to show that no secret ever leaves the service.
  const answers: string[] = [];

  beforeAll(async () => {
    process.env[GITHUB_SECRET_ENV] = githubSecret;
    process.env[GENERIC_SECRET_ENV] = genericSecret;
    root = await mkdtemp(path.join(os.tmpdir(), "dp-hooks-"));
    const sourceRoot = path.join(root, "sources");
    await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, "site"), { recursive: true });
    const configDir = path.join(root, "config");
    await mkdir(configDir, { recursive: true });
    const request = { deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" } };
    // YAML with a source relative to the request file; JSON with an absolute one; one that points outside the roots.
    await writeFile(path.join(configDir, "site.yaml"), `project_id: ${siteProject}\ndeployment_type: static_site\ntech_stack: [HTML]\ntarget: local\nenvironment: { ENV: development }\nsource: ../sources/site\n`);
    await writeFile(path.join(configDir, "release.json"), JSON.stringify({ ...request, project_id: releaseProject, source: path.join(sourceRoot, "site") }));
    await writeFile(path.join(configDir, "escape.json"), JSON.stringify({ ...request, project_id: "hooks-escape", source: "/etc" }));
    const configFile = path.join(configDir, "service.yaml");
    await writeFile(
      configFile,
      [
        "hooks:",
        `  github: { secret: "env:${GITHUB_SECRET_ENV}" }`,
        `  generic: [{ name: ci, secret: "env:${GENERIC_SECRET_ENV}" }]`,
        "  rules:",
        "    - { source: github, repository: acme/site, branch: main, request: site.yaml }",
        "    - { source: github, repository: acme/site, branch: escape, request: escape.json }",
        "    - { source: ci, repository: acme/site, branch: release, request: release.json }",
      ].join("\n"),
    );
    const loaded = await loadServiceConfig(configFile);
    if ("status" in loaded) throw new Error(loaded.reason);
    config = loaded;

    service = await startServiceHarness(root, sourceRoot, { config, bodyLimitBytes: 64 * 1024 });
    ({ database, base } = service);
    readToken = (await createToken(database.pool, ["*"], "read")).token;
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
    delete process.env[GITHUB_SECRET_ENV];
    delete process.env[GENERIC_SECRET_ENV];
  }, 180_000);

  async function deliver(route: string, body: string, headers: Record<string, string>) {
    const response = await fetch(`${base}${route}`, { method: "POST", headers, body });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  /** A GitHub delivery of `event`, signed with the hook's secret unless `signature` says otherwise. */
  function github(payload: unknown, options: { event?: string; delivery?: string; signature?: string | null; form?: boolean } = {}) {
    const body = options.form ? `payload=${encodeURIComponent(JSON.stringify(payload))}` : JSON.stringify(payload);
    const headers: Record<string, string> = {
      "content-type": options.form ? "application/x-www-form-urlencoded" : "application/json",
      "x-github-event": options.event ?? "push",
      "x-github-delivery": options.delivery ?? randomUUID(),
    };
    if (options.signature !== null) headers["x-hub-signature-256"] = options.signature ?? hmac(githubSecret, body);
    return deliver("/v1/hooks/github", body, headers);
  }

  /** A generic delivery to hook `name`, signed at `timestamp` with its secret (over `signedDelivery`, default its id). */
  function generic(name: string, payload: unknown, options: { delivery?: string; signedDelivery?: string; timestamp?: string; secret?: string } = {}) {
    const body = JSON.stringify(payload);
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
    const delivery = options.delivery ?? randomUUID();
    return deliver(`/v1/hooks/generic/${name}`, body, {
      "content-type": "application/json",
      "x-timestamp": timestamp,
      "x-delivery-id": delivery,
      "x-signature-256": hmac(options.secret ?? genericSecret, `${timestamp}.${options.signedDelivery ?? delivery}.`, body),
    });
  }

  const push = (branch: string, extra: Record<string, unknown> = {}) => ({ ref: `refs/heads/${branch}`, after: commitSha(), deleted: false, repository: { full_name: "acme/site" }, ...extra });
  const deploymentCount = async (project: string) =>
    ((await database.pool.query("select count(*)::int as n from deployment_planner.deployments where project_id = $1", [project])).rows[0] as { n: number }).n;

  async function finished(id: string, timeoutMs = 150_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = (await (await fetch(`${base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${readToken}` } })).json()) as Record<string, unknown>;
      if (answer.status === "succeeded" || answer.status === "failed") return answer;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`deployment ${id} did not finish within ${timeoutMs} ms`);
  }

  it("refuses a missing or wrong signature (401), a malformed delivery (400), an oversized body (413) and unknown hooks (404)", async () => {
    const missing = await github(push("main"), { signature: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("signature") });
    expect((await github(push("main"), { signature: hmac("not-the-secret", JSON.stringify(push("main"))) })).status).toBe(401);
    expect((await github(push("main"), { signature: "sha256=abc" })).status).toBe(401);
    expect((await github(push("main"), { delivery: "" })).status).toBe(400);
    expect((await github({ ref: "refs/heads/main" })).status).toBe(400);
    const plainText = JSON.stringify(push("main"));
    const notJson = await deliver("/v1/hooks/github", plainText, { "content-type": "text/plain", "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": hmac(githubSecret, plainText) });
    expect(notJson.status).toBe(400);
    const empty = await service.app.inject({ method: "POST", url: "/v1/hooks/github", headers: { "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": hmac(githubSecret, "") } });
    expect(empty.statusCode).toBe(400);

    const big = await github(push("main", { padding: "x".repeat(100 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status: "error", stage: "validation", reason: expect.stringContaining("larger than") });

    const unknown = await generic("nope", { repository: "acme/site", branch: "release" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status: "error", reason: "no webhook is configured at this address" });
    expect(await deploymentCount(siteProject)).toBe(0);

    // Without hooks in the configuration, neither route exists.
    const bare = await buildApi({ database, sourceRoots: [root], version: "test" });
    const bareAnswer = await bare.inject({ method: "POST", url: "/v1/hooks/github", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(bareAnswer.statusCode).toBe(404);
    expect(bareAnswer.json()).toMatchObject({ status: "error" });
    expect((await bare.inject({ method: "POST", url: "/v1/hooks/generic/ci", headers: { "content-type": "application/json" }, payload: "{}" })).statusCode).toBe(404);
    await bare.close();
  });

  it("answers ping, other events, deletions, tags and unmapped branches without queueing anything", async () => {
    const ping = await github({ zen: "Keep it logically awesome.", hook_id: 1 }, { event: "ping" });
    expect(ping).toMatchObject({ status: 200, body: { status: "ignored", deployments: [] } });
    expect((await github({ action: "opened" }, { event: "issues" })).body.message).toBe("event 'issues': only push and pull_request events deploy; nothing is queued");
    expect((await github(push("main", { deleted: true, after: "0".repeat(40) }))).body).toMatchObject({ status: "ignored", message: "branch 'main' was deleted; nothing is queued" });
    expect((await github({ ...push("main"), ref: "refs/tags/v1" })).body).toMatchObject({ status: "ignored", deployments: [] });
    const unmapped = await github(push("feature"), { form: true });
    expect(unmapped).toMatchObject({ status: 200, body: { status: "ignored", message: "no rule deploys acme/site branch 'feature'; nothing is queued", deployments: [] } });
    expect(await deploymentCount(siteProject)).toBe(0);
  });

  it("refuses a rule whose request names a source outside the roots (422), naming no path", async () => {
    const refused = await github(push("escape"));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ status: "error", reason: expect.stringContaining("outside the directories this service may read") });
    expect(JSON.stringify(refused.body)).not.toMatch(/\/etc|escape\.json|dp-hooks-/);
    expect(await deploymentCount("hooks-escape")).toBe(0);
  });

  it("deploys the mapped stack for a signed push, named after its commit, and refuses its replay (409)", async () => {
    const delivery = randomUUID();
    const payload = push("main");
    const queued = await github(payload, { delivery });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", delivery_id: delivery, deployments: [expect.any(String)] });
    const id = (queued.body.deployments as string[])[0]!;
    const replay = await github(payload, { delivery });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ status: "error", reason: expect.stringContaining("replay") });

    const stored = (await database.pool.query("select token_id, idempotency_key, request->>'version_name' as version_name from deployment_planner.deployments where id = $1", [id])).rows[0];
    expect(stored).toEqual({ token_id: "hook:github", idempotency_key: `github:${delivery}`, version_name: payload.after.slice(0, 12) });
    const done = await finished(id);
    expect(done).toMatchObject({ status: "succeeded", result: { status: "success", deployed_to: "local", stack: `${siteProject}.development` } });
    expect(await (await fetch((done.result as { url: string }).url)).text()).toContain("Deployment Planner example site");
    expect(await deploymentCount(siteProject)).toBe(1);
    const recorded = (await database.pool.query("select outcome, deployment_id from deployment_planner.hook_deliveries where source = 'github' and delivery_id = $1", [delivery])).rows[0];
    expect(recorded).toEqual({ outcome: "queued", deployment_id: id });
  });

  it("checks a generic hook's timestamp, signature and body, then queues its rule's request once", async () => {
    const payload = { repository: "acme/site", branch: "release", commit: commitSha() };
    const stale = await generic("ci", payload, { timestamp: String(Math.floor(Date.now() / 1000) - 1000) });
    expect(stale.status).toBe(401);
    expect(stale.body.reason).toContain("X-Timestamp");
    expect((await generic("ci", payload, { timestamp: "yesterday" })).status).toBe(400);
    expect((await generic("ci", payload, { secret: githubSecret })).status).toBe(401);
    expect((await generic("ci", { repository: "acme/site" })).status).toBe(400);
    expect((await generic("ci", { ...payload, branch: "main" })).body).toMatchObject({ status: "ignored", deployments: [] });
    expect(await deploymentCount(releaseProject)).toBe(0);

    const delivery = randomUUID();
    const queued = await generic("ci", payload, { delivery });
    expect(queued).toMatchObject({ status: 202, body: { status: "queued", deployments: [expect.any(String)] } });
    expect((await generic("ci", payload, { delivery })).status).toBe(409);
    const done = await finished((queued.body.deployments as string[])[0]!);
    expect(done).toMatchObject({ status: "succeeded", stack: `${releaseProject}.development` });
    expect(await deploymentCount(releaseProject)).toBe(1);
  });

  it("answers 503 when a hook's secret cannot be resolved, naming neither the reference nor a value", async () => {
    const unresolved = `DP_HOOKS_TEST_UNSET_${process.pid}`;
    const broken = await buildApi({ database, queue: service.queue, config: { ...config, hooks: { ...config.hooks, github: { secret: `env:${unresolved}` } } }, sourceRoots: [root], version: "test" });
    const body = JSON.stringify(push("main"));
    const answer = await broken.inject({ method: "POST", url: "/v1/hooks/github", headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": hmac(githubSecret, body) }, payload: body });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toMatchObject({ status: "error", stage: "env_setup" });
    expect(answer.body).not.toContain(unresolved);
    await broken.close();
  });

  it("rate-limits hooks per client address, and never answers with a secret", async () => {
    const limited = await buildApi({ database, queue: service.queue, config, sourceRoots: [root], rateLimit: { max: 2, windowMs: 60_000 }, version: "test" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await limited.inject({ method: "POST", url: "/v1/hooks/github", headers: { "content-type": "application/json" }, payload: "{}" })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);
    await limited.close();
    expect(answers.length).toBeGreaterThan(15);
    for (const answer of answers) {
      expect(answer).not.toContain(githubSecret);
      expect(answer).not.toContain(genericSecret);
    }
  });
  it("queues a GitHub push once whatever delivery id carries it; a new head commit deploys again", async () => {
    const payload = push("main");
    const first = await github(payload);
    expect(first.status).toBe(202);
    const before = await deploymentCount(siteProject);
    // The same signed body under fresh delivery ids, and with the repository's name in another case (GitHub's are
    // case-insensitive): the same push, refused as a replay.
    const replayed = await github(payload, { delivery: randomUUID() });
    expect(replayed.status).toBe(409);
    expect(replayed.body).toMatchObject({ status: "error", stage: "validation", reason: expect.stringContaining("head commit") });
    expect((await github({ ...payload, repository: { full_name: "ACME/Site" } })).status).toBe(409);
    expect(await deploymentCount(siteProject)).toBe(before);
    await finished((first.body.deployments as string[])[0]!);

    const next = await github(push("main"));
    expect(next).toMatchObject({ status: 202, body: { status: "queued", deployments: [expect.any(String)] } });
    expect(await deploymentCount(siteProject)).toBe(before + 1);
    expect(await finished((next.body.deployments as string[])[0]!)).toMatchObject({ status: "succeeded" });
  });

  it("refuses a generic delivery whose id was changed after signing (401), queueing nothing", async () => {
    const payload = { repository: "acme/site", branch: "release", commit: commitSha() };
    const before = await deploymentCount(releaseProject);
    const changed = await generic("ci", payload, { signedDelivery: randomUUID(), delivery: randomUUID() });
    expect(changed.status).toBe(401);
    expect(changed.body).toMatchObject({ status: "error", stage: "access", reason: expect.stringContaining("X-Delivery-Id") });
    // Signed without the delivery id (the earlier format): refused too.
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const unsigned = await deliver("/v1/hooks/generic/ci", body, { "content-type": "application/json", "x-timestamp": timestamp, "x-delivery-id": randomUUID(), "x-signature-256": hmac(genericSecret, `${timestamp}.`, body) });
    expect(unsigned.status).toBe(401);
    expect(await deploymentCount(releaseProject)).toBe(before);
  });

  it("lists only the token's projects' stacks, reading no other project's stack file", async () => {
    const siteReader = (await createToken(database.pool, [siteProject], "read")).token;
    // Another project's stack file that blocks whoever opens it: listing it would hang the request.
    const other = path.join(service.workspace.stacksDir, `Pulumi.${uniqueId("hooks-other")}.development.yaml`);
    execFileSync("mkfifo", [other]);
    try {
      const response = await fetch(`${base}/v1/stacks`, { headers: { authorization: `Bearer ${siteReader}` }, signal: AbortSignal.timeout(20_000) });
      expect(response.status).toBe(200);
      const text = await response.text();
      const stacks = (JSON.parse(text) as { stacks: { stack: string; project_id: string }[] }).stacks;
      expect(stacks.map((stack) => stack.stack)).toEqual([`${siteProject}.development`]);
      expect(text).not.toContain(releaseProject);
      const filtered = await fetch(`${base}/v1/stacks?project_id=${releaseProject}`, { headers: { authorization: `Bearer ${siteReader}` }, signal: AbortSignal.timeout(20_000) });
      expect(((await filtered.json()) as { stacks: unknown[] }).stacks).toEqual([]);
    } finally {
      // Releases a reader that opened the file (without the filter), then removes it.
      await open(other, constants.O_WRONLY | constants.O_NONBLOCK).then((handle) => handle.close()).catch(() => undefined);
      await rm(other, { force: true });
    }
  }, 60_000);

  it("verifies only a project admin's own stacks' audit entries, and tells it nothing of the whole chain", async () => {
    const countOf = async (project: string | null) =>
      ((await database.pool.query("select count(*)::int as n from deployment_planner.audit_entries where $1::text is null or entry->>'stack' like $1 || '.%'", [project])).rows[0] as { n: number }).n;
    // The workspace's records reach the service's trail in the background.
    const deadline = Date.now() + 30_000;
    while (((await countOf(siteProject)) === 0 || (await countOf(releaseProject)) === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const siteAdmin = (await createToken(database.pool, [siteProject], "admin")).token;
    const everyAdmin = (await createToken(database.pool, ["*"], "admin")).token;
    const audit = async (token: string) =>
      (await (await fetch(`${base}/v1/audit?stack=${siteProject}.development&verify=true`, { headers: { authorization: `Bearer ${token}` } })).json()) as { entries: { stack: string }[]; chain: { intact: boolean; entries: number } };
    const own = await audit(siteAdmin);
    const whole = await audit(everyAdmin);
    expect(whole.chain).toEqual({ intact: true, entries: await countOf(null) });
    expect(own.chain).toEqual({ intact: true, entries: await countOf(siteProject) });
    expect(own.chain.entries).toBeGreaterThan(0);
    expect(own.chain.entries).toBeLessThan(whole.chain.entries);
    expect(own.entries.every((entry) => entry.stack === `${siteProject}.development`)).toBe(true);
  }, 60_000);
});
