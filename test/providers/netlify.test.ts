import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { HttpApiError } from "../../src/components/http-api-error";
import { createSite, deleteSite, diffSite, readSite, updateSite } from "../../src/components/netlify/provider-impl";
import { TOKEN, useFakeNetlify } from "./netlify-harness";

// The provider's create/read/update/delete run against a local FAKE of Netlify's API (Netlify cannot be reached here).

describe("Netlify site provider against a fake Netlify API", () => {
  const harness = useFakeNetlify();
  const inputs = harness.inputs;
  let fake: typeof harness.fake;
  beforeEach(() => {
    fake = harness.fake;
  });

  it("creates a site with its variables and uploads every file of the first deploy", async () => {
    const uploadsBefore = fake.uploads.length;
    const created = await createSite(inputs("crud-site"));
    const site = fake.sites.get(created.id)!;
    expect([...site.vars.keys()].sort()).toEqual(["PUBLIC_API", "SENTRY_DSN"]);
    expect([...site.files.keys()].sort()).toEqual(["index.html", "style.css"]);
    expect(fake.uploads.length - uploadsBefore).toBe(2);
    expect(created.outs).toMatchObject({ siteId: created.id, url: "https://crud-site.netlify.app", adminUrl: "https://app.netlify.com/sites/crud-site" });

    // Update: a changed page is the only file uploaded; a new domain is set in place.
    await writeFile(path.join(harness.dir, "index.html"), "<h1>v2</h1>");
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
    expect(fake.sites.get(created.id)!.vars.has("PUBLIC_API")).toBe(true);
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
