import { generateKeyPairSync } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createGitHubClient,
  fetchCommitSource,
  previewFeedback,
  previewFeedbackSettled,
  renderPreviewComment,
  setCommitStatus,
  unpackCommitArchive,
  upsertPreviewComment,
  type GitHubClient,
  type GitHubClientSettings,
  type PreviewView,
} from "../../src/service/github/index";
import { startFakeGitHub, type FakeGitHub } from "../fakes/github-api";
import type { TarEntry } from "../fakes/tarball";

const TOKEN = "ghp_fake_token_for_tests_0123456789";
const REPO = "acme/shop";
const PULL = { owner: "acme", repo: "shop", number: 42 };

let fake: FakeGitHub;
let work: string;
const warnings: string[] = [];

function client(settings: Partial<GitHubClientSettings> = {}): GitHubClient {
  return createGitHubClient({ apiUrl: fake.url, auth: { token: TOKEN }, retry: { backoffMs: 20, maxWaitMs: 10_000 }, warn: (line) => warnings.push(line), ...settings });
}

function view(state: PreviewView["state"], sha: string, extra: Partial<PreviewView> = {}): PreviewView {
  return { projectId: "shop", pullRequest: 42, state, commitSha: sha, stack: "shop.preview-pr-42", ...extra };
}

beforeAll(async () => {
  fake = await startFakeGitHub({ token: TOKEN });
  work = mkdtempSync(path.join(os.tmpdir(), "github-client-"));
});

afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

afterEach(() => {
  fake.clearFailures();
  // Every request the client sent must have been one GitHub's description allows.
  expect(fake.invalid).toEqual([]);
});

describe("the GitHub fake checks requests against GitHub's OpenAPI description", () => {
  it("refuses requests the description does not allow, or without credentials, and records them", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "<p>v1</p>" });
    const before = fake.invalid.length;
    const send = (method: string, url: string, body?: unknown, headers: Record<string, string> = { authorization: `token ${TOKEN}` }) =>
      fetch(`${fake.url}${url}`, { method, headers: { "user-agent": "test", "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

    expect((await send("GET", "/repos/acme/shop/nonsense")).status).toBe(404);
    expect((await send("DELETE", "/repos/acme/shop/statuses/" + sha)).status).toBe(404);
    expect((await send("POST", `/repos/acme/shop/statuses/${sha}`, { state: "done", context: "x" })).status).toBe(422);
    expect((await send("POST", `/repos/acme/shop/statuses/${sha}`, { state: "success", colour: "green" })).status).toBe(422);
    expect((await send("POST", "/repos/acme/shop/issues/42/comments", { text: "no body field" })).status).toBe(422);
    expect((await send("GET", "/repos/acme/shop/issues/not-an-integer/comments")).status).toBe(422);
    expect((await send("GET", "/repos/acme/shop/issues/42/comments?per_page=ten")).status).toBe(422);
    expect((await send("GET", "/repos/acme/shop/issues/42/comments", undefined, {})).status).toBe(401);
    expect((await send("GET", "/repos/acme/shop/issues/42/comments", undefined, { authorization: "token wrong" })).status).toBe(401);

    const refused = fake.invalid.slice(before);
    expect(refused).toHaveLength(9);
    expect(refused.map((r) => r.invalid)).toEqual([
      expect.stringContaining("no path of GitHub's description matches /repos/acme/shop/nonsense"),
      expect.stringContaining("DELETE is not an operation"),
      expect.stringMatching(/repos\/create-commit-status: body \/state must be equal to one of the allowed values/),
      expect.stringMatching(/must NOT have additional properties 'colour'/),
      expect.stringMatching(/issues\/create-comment: body .*must have required property 'body'/),
      expect.stringContaining("path parameter 'issue_number' must be an integer"),
      expect.stringContaining("query parameter 'per_page' must be an integer"),
      "no valid credentials",
      "no valid credentials",
    ]);
    // The probes above are this test's own; nothing else may be invalid.
    fake.invalid.splice(before);
    // A request the description allows passes.
    expect((await send("POST", `/repos/acme/shop/statuses/${sha}`, { state: "success", context: "probe", description: null })).status).toBe(201);
  });
});

describe("fetchCommitSource", () => {
  it("downloads the commit's archive through GitHub's redirect and unpacks it without GitHub's top directory", async () => {
    const sha = fake.addCommit(REPO, { "package.json": '{"name":"shop"}', "public/index.html": "<h1>shop v2</h1>" });
    const dest = path.join(work, "ok", sha);
    const outcome = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha }, dest);
    expect(outcome).toMatchObject({ ok: true, source: { dir: dest, files: 3, bytes: 15 + 16 } });
    if (!outcome.ok) return;
    expect(outcome.source.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(path.join(dest, "public", "index.html"), "utf8")).toBe("<h1>shop v2</h1>");
    expect(readdirSync(dest).sort()).toEqual(["package.json", "public"]);
    // Only the unpacked directory is left beside it: no download, no staging directory.
    expect(readdirSync(path.dirname(dest))).toEqual([sha]);
    const calls = fake.requests.filter((r) => r.url.includes(sha));
    expect(calls.map((r) => [r.operationId, r.status])).toEqual([
      ["repos/download-tarball-archive", 302],
      ["codeload", 200],
    ]);
    // The same commit unpacks to the same digest.
    const again = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha }, path.join(work, "ok", "again"));
    expect(again.ok && again.source.digest).toBe(outcome.source.digest);
  });

  it("keeps a symbolic link that stays inside the repository", async () => {
    const sha = fake.addRawCommit(REPO, (top) => [
      { path: `${top}/`, type: "Directory" },
      { path: `${top}/docs/readme.md`, content: "read me" },
      { path: `${top}/README.md`, type: "SymbolicLink", linkpath: "docs/readme.md" },
    ]);
    const dest = path.join(work, "links", "inside");
    const outcome = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha }, dest);
    expect(outcome.ok).toBe(true);
    expect(lstatSync(path.join(dest, "README.md")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dest, "README.md"))).toBe("docs/readme.md");
  });

  const hostile: [string, (top: string) => TarEntry[], RegExp][] = [
    ["an entry that climbs out through ../", (top) => [{ path: `${top}/ok.txt`, content: "ok" }, { path: `${top}/../../escaped.txt`, content: "pwned" }], /leaves its directory through '\.\.'/],
    ["an absolute path", (top) => [{ path: `${top}/ok.txt`, content: "ok" }, { path: "/tmp/escaped.txt", content: "pwned" }], /has an absolute path/],
    ["a symbolic link out of the repository", (top) => [{ path: `${top}/ok.txt`, content: "ok" }, { path: `${top}/etc`, type: "SymbolicLink", linkpath: "../../../etc" }], /points outside the repository/],
    ["a symbolic link to an absolute path", (top) => [{ path: `${top}/passwd`, type: "SymbolicLink", linkpath: "/etc/passwd" }], /points to an absolute path/],
    ["a hard link", (top) => [{ path: `${top}/ok.txt`, content: "ok" }, { path: `${top}/hard`, type: "Link", linkpath: `${top}/ok.txt` }], /hard link/],
    ["a device file", (top) => [{ path: `${top}/null`, type: "CharacterDevice" }], /CharacterDevice; only files, directories and symbolic links/],
    ["an entry beside the top directory", (top) => [{ path: `${top}/ok.txt`, content: "ok" }, { path: "other-top/x.txt", content: "x" }], /outside the archive's top directory/],
    ["a file larger than a file may be", (top) => [{ path: `${top}/big.bin`, content: Buffer.alloc(4096, 1) }], /4096 bytes, more than the 2048 a file may have/],
    ["a header claiming a huge file", (top) => [{ path: `${top}/huge.bin`, declaredSize: 10 * 1024 ** 3 }], /more than the 2048 a file may have/],
    ["more bytes than allowed in all", (top) => [1, 2, 3, 4].map((n) => ({ path: `${top}/part-${n}.bin`, content: Buffer.alloc(2000, n) })), /unpacks to more than 6000 bytes/],
    ["more entries than allowed", (top) => Array.from({ length: 12 }, (_, n) => ({ path: `${top}/f${n}.txt`, content: "x" })), /more than 10 entries/],
  ];

  it.each(hostile)("refuses an archive with %s and leaves nothing behind", async (_name, entries, reason) => {
    const sha = fake.addRawCommit(REPO, entries);
    const parent = path.join(work, "hostile", sha);
    const dest = path.join(parent, "src");
    const outcome = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha }, dest, { maxFileBytes: 2048, maxTotalBytes: 6000, maxFiles: 10 });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure).toMatchObject({ status: "error", stage: "package" });
    expect(outcome.failure.reason).toMatch(reason);
    expect(existsSync(dest)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(path.join(work, "escaped.txt")) || existsSync("/tmp/escaped.txt")).toBe(false);
  });

  it("refuses a file that is not a gzipped tar without naming a path of the machine", async () => {
    const garbage = path.join(work, "garbage.tar.gz");
    writeFileSync(garbage, "this is not an archive");
    const outcome = await unpackCommitArchive(garbage, path.join(work, "garbage", "src"));
    expect(outcome.ok || outcome.failure.reason).toMatch(/^the commit archive is not a readable gzipped tar \(/);
    expect(JSON.stringify(outcome)).not.toContain(work);
    expect(existsSync(path.join(work, "garbage", "src"))).toBe(false);
  });

  it("refuses a download larger than the archive limit and a commit GitHub does not have", async () => {
    const sha = fake.addCommit(REPO, { "a.bin": "x".repeat(50_000) + Math.random() });
    const big = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha }, path.join(work, "big", "src"), { maxArchiveBytes: 100 });
    expect(big.ok || big.failure.reason).toMatch(/is larger than 100 bytes/);
    expect(readdirSync(path.join(work, "big"))).toEqual([]);
    const missing = await fetchCommitSource(client(), { owner: "acme", repo: "shop", sha: "f".repeat(40) }, path.join(work, "missing", "src"));
    expect(missing.ok || [missing.failure.stage, missing.failure.reason]).toEqual(["package", expect.stringMatching(/acme\/shop@fffffff failed at GitHub: 404/)]);
    const hostileName = await fetchCommitSource(client(), { owner: "acme", repo: "../x", sha }, path.join(work, "bad", "src"));
    expect(hostileName.ok || hostileName.failure.reason).toMatch(/not a GitHub owner\/repository@sha/);
  });
});

describe("the preview comment", () => {
  it("is created once and edited in place: one comment after three updates, also from a fresh client after a restart", async () => {
    const pull = { ...PULL, number: 7 };
    // Enough comments by others that the preview's comment sits on the second page of 100.
    for (let n = 0; n < 120; n += 1) fake.addComment(REPO, 7, `comment ${n}`, "someone");
    const sha = fake.addCommit(REPO, { "index.html": "v1" });
    const first = client();
    const actions: string[] = [];
    for (const state of ["queued", "deploying", "live"] as const) {
      const written = await upsertPreviewComment(first, pull, renderPreviewComment({ ...view(state, sha), pullRequest: 7, url: state === "live" ? "http://127.0.0.1:4100/" : null }));
      actions.push(written.ok ? written.value.action : written.failure.reason);
    }
    expect(actions).toEqual(["created", "updated", "updated"]);
    const restarted = client();
    const afterRestart = await upsertPreviewComment(restarted, pull, renderPreviewComment({ ...view("destroyed", sha), pullRequest: 7 }));
    expect(afterRestart.ok && afterRestart.value.action).toBe("updated");
    const mine = fake.comments(REPO, 7).filter((c) => c.body.includes("deployment-planner:preview:shop"));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain("Destroyed");
    expect(fake.requests.some((r) => r.operationId === "issues/list-comments" && r.url.includes("page=2"))).toBe(true);
  });

  it("passes over a marked comment written by someone else and never overwrites a later state with an earlier one", async () => {
    const pull = { ...PULL, number: 8 };
    const sha = fake.addCommit(REPO, { "index.html": "v1" });
    fake.addComment(REPO, 8, "<!-- deployment-planner:preview:shop -->\ncopied by someone", "mallory");
    const github = client();
    const later = await upsertPreviewComment(github, pull, renderPreviewComment({ ...view("live", sha), pullRequest: 8, at: new Date("2026-12-06T02:00:00Z") }));
    expect(later.ok && later.value.action).toBe("created");
    const earlier = await upsertPreviewComment(github, pull, renderPreviewComment({ ...view("queued", sha), pullRequest: 8, at: new Date("2026-12-06T01:00:00Z") }));
    expect(earlier.ok && earlier.value.action).toBe("kept-newer");
    const comments = fake.comments(REPO, 8);
    expect(comments.map((c) => c.user)).toEqual(["mallory", "deployment-planner[bot]"]);
    expect(comments[0]!.body).toContain("copied by someone");
    expect(comments[1]!.body).toContain("Live");
  });

  it("lists destructive changes first, calls out stateful resources, and escapes text from requests and commits", () => {
    const body = renderPreviewComment(
      view("failed", "0123456789abcdef0123456789abcdef01234567", {
        url: "http://127.0.0.1:4100/",
        plan: {
          changeSummary: { create: 2, replace: 1, delete: 1, same: 4 },
          steps: [
            { op: "create", type: "planner:local:LocalApp", name: "web" },
            { op: "replace", type: "planner:aws:Datastore", name: "orders-db" },
            { op: "delete", type: "random:index/randomId:RandomId", name: "suffix" },
          ],
        },
        failure: { stage: "deploy", reason: "<script>alert(1)</script> [click](javascript:alert(1)) @everyone", fix_suggestion: "**Fix** the `thing`" },
        notes: ["This pull request comes from a fork: its preview runs without secrets.\n# not a heading"],
      }),
    );
    expect(body.startsWith("<!-- deployment-planner:preview:shop -->\n")).toBe(true);
    expect(body).toContain("| Version | `0123456` |");
    const destructive = body.indexOf("**Destructive changes**");
    const others = body.indexOf("**Other changes**");
    expect(destructive).toBeGreaterThan(0);
    expect(others).toBeGreaterThan(destructive);
    expect(body).toMatch(/\*\*replace\*\* orders\\-db \(planner:aws:Datastore\) — ⚠️ \*\*stateful: its data is lost\*\*/);
    expect(body).toMatch(/\*\*delete\*\* suffix/);
    expect(body).toContain("Resources: 1 to delete, 1 to replace, 2 to create, 4 unchanged");
    expect(body).toContain("- **Stage:** deploy");
    expect(body).not.toContain("<script>");
    expect(body).toContain("&lt;script&gt;");
    expect(body).not.toContain("[click](javascript");
    expect(body).not.toContain("@everyone");
    expect(body).not.toMatch(/^# not a heading/m);
    expect(body).toContain("\\*\\*Fix\\*\\* the \\`thing\\`");
  });
});

describe("commit statuses and retries", () => {
  it("sets a commit status with the description cut to 140 characters", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "status" });
    const set = await setCommitStatus(client(), { owner: "acme", repo: "shop", sha }, { state: "success", targetUrl: "http://127.0.0.1:4100/", description: `Preview live ${"x".repeat(300)}`, context: "deployment-planner/preview/shop" });
    expect(set.ok).toBe(true);
    const [status] = fake.statuses(REPO, sha);
    expect(status).toMatchObject({ state: "success", target_url: "http://127.0.0.1:4100/", context: "deployment-planner/preview/shop" });
    expect(status!.description).toHaveLength(140);
  });

  it("retries a 502 and succeeds on the next answer", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "502" });
    fake.failNext(502, 1, `POST /repos/acme/shop/statuses/${sha}`);
    const set = await setCommitStatus(client(), { owner: "acme", repo: "shop", sha }, { state: "pending", description: "queued", context: "ctx" });
    expect(set.ok).toBe(true);
    expect(fake.requests.filter((r) => r.url.endsWith(sha)).map((r) => r.status)).toEqual([502, 201]);
  });

  it("waits for a 5xx answer's Retry-After when it is longer than the back-off", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "503" });
    fake.failNext(503, 1, `POST /repos/acme/shop/statuses/${sha}`, { headers: { "retry-after": "1" } });
    const set = await setCommitStatus(client(), { owner: "acme", repo: "shop", sha }, { state: "pending", description: "queued", context: "ctx" });
    expect(set.ok).toBe(true);
    const [first, second] = fake.requests.filter((r) => r.url.endsWith(sha));
    expect([first!.status, second!.status]).toEqual([503, 201]);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it("retries a 403 rate limit after X-RateLimit-Reset, not before", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "403" });
    const reset = Math.ceil(Date.now() / 1000) + 1;
    fake.failNext(403, 1, `POST /repos/acme/shop/statuses/${sha}`, { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": String(reset) } });
    const set = await setCommitStatus(client(), { owner: "acme", repo: "shop", sha }, { state: "pending", description: "queued", context: "ctx" });
    expect(set.ok).toBe(true);
    const [limited, retried] = fake.requests.filter((r) => r.url.endsWith(sha));
    expect([limited!.status, retried!.status]).toEqual([403, 201]);
    expect(retried!.at).toBeGreaterThanOrEqual(reset * 1000);
  });

  it("gives up after a bounded number of retries and returns the failure instead of throwing", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "down" });
    fake.failNext(502, 20, `POST /repos/acme/shop/statuses/${sha}`);
    const started = Date.now();
    const set = await setCommitStatus(client({ retry: { retries: 3, backoffMs: 20 } }), { owner: "acme", repo: "shop", sha }, { state: "pending", description: "queued", context: "ctx" });
    expect(set.ok).toBe(false);
    expect(set.ok || [set.status, set.failure.stage]).toEqual([502, "env_setup"]);
    expect(fake.requests.filter((r) => r.url.endsWith(sha))).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings.some((line) => line.includes("failed at GitHub: 502"))).toBe(true);
  });

  it("does not wait for a rate limit that resets beyond the wait cap", async () => {
    const sha = fake.addCommit(REPO, { "index.html": "later" });
    const reset = Math.ceil(Date.now() / 1000) + 3600;
    fake.failNext(403, 1, `POST /repos/acme/shop/statuses/${sha}`, { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) } });
    const started = Date.now();
    const set = await setCommitStatus(client({ retry: { maxWaitMs: 5_000 } }), { owner: "acme", repo: "shop", sha }, { state: "pending", description: "queued", context: "ctx" });
    expect(set.ok || set.status).toBe(403);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("signs in as a GitHub App installation", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const appFake = await startFakeGitHub({ token: "unused", app: { id: "12345", privateKey: pem, installationId: 777 } });
    try {
      const sha = appFake.addCommit(REPO, { "index.html": "app" });
      const github = createGitHubClient({ apiUrl: appFake.url, auth: { appId: "12345", privateKey: pem, installationId: 777 }, warn: () => {} });
      const set = await setCommitStatus(github, { owner: "acme", repo: "shop", sha }, { state: "success", description: "ok", context: "ctx" });
      expect(set.ok).toBe(true);
      expect(appFake.requests.map((r) => r.operationId)).toEqual(["apps/create-installation-access-token", "repos/create-commit-status"]);
      expect(appFake.invalid).toEqual([]);
    } finally {
      await appFake.close();
    }
  });
});

describe("previewFeedback", () => {
  it("never holds up its caller, keeps the newest state when states arrive faster than GitHub answers, and sets the status", async () => {
    const pull = { ...PULL, number: 9 };
    const sha = fake.addCommit(REPO, { "index.html": "feedback" });
    const github = client();
    fake.failNext(502, 1, "GET /repos/acme/shop/issues/9/comments");
    const started = Date.now();
    const deliveries = [
      previewFeedback(github, pull, { ...view("queued", sha), pullRequest: 9 }),
      previewFeedback(github, pull, { ...view("deploying", sha), pullRequest: 9 }),
      previewFeedback(github, pull, { ...view("live", sha), pullRequest: 9, url: "http://127.0.0.1:4100/" }),
    ];
    expect(Date.now() - started).toBeLessThan(50);
    const outcomes = await Promise.all(deliveries);
    // The three arrived before the first was sent: only the newest went to GitHub.
    expect(outcomes.map((o) => o.outcome)).toEqual(["superseded", "superseded", "delivered"]);
    expect(outcomes[2]).toMatchObject({ comment: "created", status: true, problems: [] });
    expect(fake.statuses(REPO, sha).map((s) => [s.state, s.target_url])).toEqual([["success", "http://127.0.0.1:4100/"]]);

    // One under way, two more arriving: the one under way is sent, then only the newest of the others.
    const running = previewFeedback(github, pull, { ...view("queued", sha), pullRequest: 9 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const skipped = previewFeedback(github, pull, { ...view("deploying", sha), pullRequest: 9 });
    const last = previewFeedback(github, pull, { ...view("failed", sha), pullRequest: 9, failure: { stage: "verify", reason: "the health check answered 500", fix_suggestion: "Fix the app's /health." } });
    expect((await Promise.all([running, skipped, last])).map((o) => o.outcome)).toEqual(["delivered", "superseded", "delivered"]);
    await previewFeedbackSettled(github);
    const comments = fake.comments(REPO, 9);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("the health check answered 500");
    expect(fake.statuses(REPO, sha).map((s) => s.state)).toEqual(["success", "pending", "failure"]);
    expect(fake.statuses(REPO, sha)[2]!.description).toBe("Preview failed at verify: the health check answered 500");
  });

  it("reports a delivery GitHub refuses for good without throwing", async () => {
    const pull = { ...PULL, number: 10 };
    const sha = fake.addCommit(REPO, { "index.html": "refused" });
    const delivery = await previewFeedback(createGitHubClient({ apiUrl: fake.url, auth: { token: "ghp_wrong" }, warn: () => {} }), pull, view("live", sha));
    expect(delivery.outcome).toBe("delivered");
    expect(delivery.comment).toBeNull();
    expect(delivery.problems.join("\n")).toMatch(/failed at GitHub: 401/);
    expect(delivery.problems.join("\n")).not.toContain("ghp_wrong");
    // The fake recorded the refused credentials as invalid; they are this test's own.
    fake.invalid.splice(0);
  });
});
