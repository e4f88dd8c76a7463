import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpApiError } from "../../src/components/http-api-error";
import { createSite, deleteSite, diffSite, readSite, updateSite, type NetlifySiteInputs } from "../../src/components/netlify/provider-impl";
import { startFakeNetlify, type FakeNetlify } from "../fakes/netlify-api";

// The provider's create/read/update/delete run against a local FAKE of Netlify's API (Netlify cannot be reached here).

const TOKEN = "fake-netlify-token";

describe("Netlify site provider against a fake Netlify API", () => {
  let fake: FakeNetlify;
  let dir: string;
  const saved = { token: process.env.NETLIFY_AUTH_TOKEN, url: process.env.NETLIFY_API_URL, timeout: process.env.NETLIFY_API_TIMEOUT_MS };

  beforeAll(async () => {
    fake = await startFakeNetlify(TOKEN);
    process.env.NETLIFY_AUTH_TOKEN = TOKEN;
    process.env.NETLIFY_API_URL = fake.url;
    // Short, so the fake's held-open answers end the calls quickly.
    process.env.NETLIFY_API_TIMEOUT_MS = "300";
  });

  afterAll(async () => {
    await fake.close();
    process.env.NETLIFY_AUTH_TOKEN = saved.token;
    process.env.NETLIFY_API_URL = saved.url;
    if (saved.token === undefined) delete process.env.NETLIFY_AUTH_TOKEN;
    if (saved.url === undefined) delete process.env.NETLIFY_API_URL;
    if (saved.timeout === undefined) delete process.env.NETLIFY_API_TIMEOUT_MS;
    else process.env.NETLIFY_API_TIMEOUT_MS = saved.timeout;
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dp-netlify-"));
    await writeFile(path.join(dir, "index.html"), "<h1>v1</h1>");
    await writeFile(path.join(dir, "style.css"), "h1{}");
  });

  afterEach(async () => {
    process.env.NETLIFY_AUTH_TOKEN = TOKEN;
    fake.clearFailures();
    await rm(dir, { recursive: true, force: true });
  });

  const inputs = (name: string, overrides: Partial<NetlifySiteInputs> = {}): NetlifySiteInputs => ({
    name,
    customDomain: null,
    env: { PUBLIC_API: "https://api.example.com" },
    secretEnv: { SENTRY_DSN: "https://key@sentry.example/1" },
    bundlePath: dir,
    digest: "sha256:one",
    ...overrides,
  });

  it("creates a site with its variables and uploads every file of the first deploy", async () => {
    const uploadsBefore = fake.uploads.length;
    const created = await createSite(inputs("crud-site"));
    const site = fake.sites.get(created.id)!;
    expect(site.env).toEqual({ PUBLIC_API: "https://api.example.com", SENTRY_DSN: "https://key@sentry.example/1" });
    expect([...site.files].sort()).toEqual(["/index.html", "/style.css"]);
    expect(fake.uploads.length - uploadsBefore).toBe(2);
    expect(created.outs).toMatchObject({ siteId: created.id, url: "https://crud-site.netlify.app", adminUrl: "https://app.netlify.com/sites/crud-site" });

    // Update: a changed page is the only file uploaded; a new domain is set in place.
    await writeFile(path.join(dir, "index.html"), "<h1>v2</h1>");
    const news = inputs("crud-site", { digest: "sha256:two", customDomain: "docs.example.org" });
    expect(diffSite(created.id, created.outs, news)).toEqual({ changes: true, replaces: [] });
    const uploadsBeforeUpdate = fake.uploads.length;
    const updated = await updateSite(created.id, created.outs, news);
    expect(fake.uploads.length - uploadsBeforeUpdate).toBe(1);
    expect(updated.outs.url).toBe("https://docs.example.org");
    expect(fake.sites.get(created.id)!.custom_domain).toBe("docs.example.org");

    expect((await readSite(created.id, updated.outs)).id).toBe(created.id);
    await deleteSite(created.id);
    expect(fake.sites.has(created.id)).toBe(false);
    await expect(deleteSite(created.id)).resolves.toBeUndefined();
  });

  it("notices a site deleted outside Pulumi on read, so refresh drops it", async () => {
    const created = await createSite(inputs("deleted-outside"));
    fake.sites.delete(created.id);
    expect(await readSite(created.id, created.outs)).toEqual({});
  });

  it("replaces the site when its name changes", () => {
    const olds = { ...inputs("a"), siteId: "x", url: "u", adminUrl: "a", deployId: null };
    expect(diffSite("x", olds, inputs("b")).replaces).toEqual(["name"]);
  });

  it("retries a 429 after its Retry-After and a 500, then succeeds", async () => {
    fake.failNext(429, 1, "POST /sites", { headers: { "retry-after": "0" } });
    fake.failNext(500, 1, "POST /sites");
    const created = await createSite(inputs("retried-site"));
    expect(fake.sites.has(created.id)).toBe(true);
    await deleteSite(created.id);
  });

  it("fails with a clear error on a rejected token and creates nothing", async () => {
    process.env.NETLIFY_AUTH_TOKEN = "wrong-token";
    const before = fake.sites.size;
    const error = await createSite(inputs("unauthorized-site")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpApiError);
    expect((error as Error).message).toBe("Netlify rejected the token for create site (HTTP 401); check NETLIFY_AUTH_TOKEN");
    expect(fake.sites.size).toBe(before);
  });

  it("removes the half-made site when the deploy keeps failing with 500, leaving nothing orphaned", async () => {
    const before = fake.sites.size;
    fake.failNext(500, 10, "POST /sites/");
    const error = await createSite(inputs("orphan-check")).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Netlify create deploy failed \(HTTP 500\)/);
    expect(fake.sites.size).toBe(before);
    expect([...fake.sites.values()].some((s) => s.name === "orphan-check")).toBe(false);
  });

  const named = (name: string) => [...fake.sites.values()].filter((s) => s.name === name);
  const callsOf = (prefix: string, from: number) => fake.calls.slice(from).filter((c) => c.startsWith(prefix)).length;

  it("adopts the site a create made before timing out, leaving exactly one", async () => {
    const from = fake.calls.length;
    fake.failNext("timeout", 1, "POST /sites", { afterActing: true });
    const created = await createSite(inputs("timed-out-site"));
    expect(named("timed-out-site").map((s) => s.id)).toEqual([created.id]);
    expect(fake.calls.slice(from).filter((c) => c === "POST /sites")).toHaveLength(1);
    expect(fake.sites.get(created.id)!.env).toHaveProperty("PUBLIC_API");
    await deleteSite(created.id);
  });

  it("adopts the site a create made before answering 502, leaving exactly one", async () => {
    fake.failNext(502, 1, "POST /sites", { afterActing: true });
    const created = await createSite(inputs("bad-gateway-site"));
    expect(named("bad-gateway-site").map((s) => s.id)).toEqual([created.id]);
    await deleteSite(created.id);
  });

  it("creates the site again when the first attempt failed before Netlify acted", async () => {
    const from = fake.calls.length;
    fake.failNext(502, 1, "POST /sites");
    const created = await createSite(inputs("second-try-site"));
    expect(named("second-try-site").map((s) => s.id)).toEqual([created.id]);
    expect(fake.calls.slice(from).filter((c) => c === "POST /sites")).toHaveLength(2);
    await deleteSite(created.id);
  });

  it("never adopts a same-named site that existed before the create", async () => {
    const existing = await createSite(inputs("already-there"));
    fake.failNext(502, 1, "POST /sites");
    const error = await createSite(inputs("already-there")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpApiError);
    expect((error as HttpApiError).status).toBe(422);
    expect(named("already-there").map((s) => s.id)).toEqual([existing.id]);
    await deleteSite(existing.id);
  });

  it("does not repeat a deploy whose outcome is unknown, and removes the half-made site", async () => {
    const from = fake.calls.length;
    fake.failNext(502, 1, "POST /sites/", { afterActing: true });
    const error = await createSite(inputs("deploy-unknown")).catch((e: unknown) => e);
    expect((error as HttpApiError).outcomeUnknown).toBe(true);
    expect(fake.calls.slice(from).filter((c) => c.endsWith("/deploys"))).toHaveLength(1);
    expect(named("deploy-unknown")).toEqual([]);
  });

  it("retries a read that answers 503", async () => {
    const created = await createSite(inputs("read-retry-site"));
    const from = fake.calls.length;
    fake.failNext(503, 2, "GET /sites/");
    expect((await readSite(created.id, created.outs)).id).toBe(created.id);
    expect(callsOf("GET /sites/", from)).toBe(3);
    await deleteSite(created.id);
  });

  it("counts a delete answered 502 after deleting, then 404 on the retry, as deleted", async () => {
    const created = await createSite(inputs("delete-retry-site"));
    const from = fake.calls.length;
    fake.failNext(502, 1, "DELETE /sites/", { afterActing: true });
    await expect(deleteSite(created.id)).resolves.toBeUndefined();
    expect(callsOf("DELETE /sites/", from)).toBe(2);
    expect(fake.sites.has(created.id)).toBe(false);
  });

  it("does not retry a 401 and never shows the token", async () => {
    const created = await createSite(inputs("unauthorized-read"));
    process.env.NETLIFY_AUTH_TOKEN = "wrong-token-value-123";
    const from = fake.calls.length;
    const error = await readSite(created.id, created.outs).catch((e: unknown) => e);
    expect((error as HttpApiError).status).toBe(401);
    expect((error as Error).message).toBe("Netlify rejected the token for read site (HTTP 401); check NETLIFY_AUTH_TOKEN");
    expect((error as Error).message).not.toContain("wrong-token-value-123");
    expect(fake.calls.length - from).toBe(1);
    process.env.NETLIFY_AUTH_TOKEN = TOKEN;
    await deleteSite(created.id);
  });
});
