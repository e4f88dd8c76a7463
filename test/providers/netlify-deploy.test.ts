import { describe, expect, it } from "vitest";
import { NetlifyDeployError, NetlifyFileNameError } from "../../src/components/netlify/deploy";
import { createSite, deleteSite, updateSite } from "../../src/components/netlify/provider-impl";
import { useFakeNetlify } from "./netlify-harness";

// Deploys against a local FAKE of Netlify's API, which moves each deploy through Netlify's states as its script says.

describe("Netlify deploys against a fake Netlify API", () => {
  const harness = useFakeNetlify();
  const deployReads = (siteId: string, deployId: string) => harness.fake.calls.filter((c) => c === `GET /sites/${siteId}/deploys/${deployId}`).length;
  const named = (name: string) => [...harness.fake.sites.values()].filter((s) => s.name === name);

  it("reports the site only once its deploy is live, reading the deploy through processing until ready", async () => {
    harness.fake.deployScript.processingPolls = 3;
    const created = await createSite(harness.inputs("live-site"));
    const deployId = created.outs.deployId!;
    expect(harness.fake.deploys.get(deployId)!.state).toBe("ready");
    expect(deployReads(created.id, deployId)).toBeGreaterThanOrEqual(4);
    expect([...harness.fake.sites.get(created.id)!.files.keys()].sort()).toEqual(["index.html", "style.css"]);
    await deleteSite(created.id);
  });

  it("fails with Netlify's error message when the deploy ends in error, and removes the half-made site", async () => {
    harness.fake.deployScript.outcome = "error";
    harness.fake.deployScript.errorMessage = "Failed to process uploaded files";
    const error = await createSite(harness.inputs("failed-deploy")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlifyDeployError);
    const deployId = (error as NetlifyDeployError).deployId;
    expect((error as NetlifyDeployError).state).toBe("error");
    expect((error as Error).message).toBe(
      `Netlify deploy ${deployId} failed (state error): Failed to process uploaded files; see https://app.netlify.com/sites/failed-deploy/deploys/${deployId}`,
    );
    expect(named("failed-deploy")).toEqual([]);
  });

  it("gives up on a deploy that stays processing past the deploy timeout, naming it and its state, and cancels it", async () => {
    process.env.NETLIFY_DEPLOY_TIMEOUT_MS = "200";
    harness.fake.deployScript.processingPolls = Number.MAX_SAFE_INTEGER;
    const started = Date.now();
    const error = await createSite(harness.inputs("slow-deploy")).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(NetlifyDeployError);
    const { deployId, timedOut } = error as NetlifyDeployError;
    expect(timedOut).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^Netlify deploy ${deployId} was still 'processing' after 0\\.2 s of going live; see `));
    expect(harness.fake.calls).toContain(`POST /deploys/${deployId}/cancel`);
    expect(named("slow-deploy")).toEqual([]);
  });

  it("keeps the live deploy when a new deploy fails on update, and says why", async () => {
    const created = await createSite(harness.inputs("update-fails"));
    await harness.write("index.html", "<h1>v2</h1>");
    harness.fake.deployScript.outcome = "error";
    harness.fake.deployScript.errorMessage = "Deploy limit reached";
    const error = await updateSite(created.id, created.outs, harness.inputs("update-fails", { digest: "sha256:two" })).catch((e: unknown) => e);
    expect((error as Error).message).toContain("Deploy limit reached");
    const live = harness.fake.deploys.get(created.outs.deployId!)!;
    expect([...harness.fake.sites.get(created.id)!.files]).toEqual(Object.entries(live.files));
    await deleteSite(created.id);
  });

  it("has Netlify diff a bundle of more than 100 files in the background and waits for the diff before uploading", async () => {
    for (let i = 0; i < 100; i += 1) await harness.write(`pages/page-${i}.html`, `<p>${i}</p>`);
    harness.fake.deployScript.preparingPolls = 3;
    const created = await createSite(harness.inputs("large-site"));
    const deploy = harness.fake.deploys.get(created.outs.deployId!)!;
    expect(deploy.async).toBe(true);
    expect(deploy.state).toBe("ready");
    expect(harness.fake.sites.get(created.id)!.files.size).toBe(102);
    await deleteSite(created.id);
  });

  it("uploads files whose names need percent-encoding under the path Netlify decodes back to the name", async () => {
    await harness.write("a b%.html", "<p>odd name</p>");
    await harness.write("docs/read me+.html", "<p>nested</p>");
    const created = await createSite(harness.inputs("encoded-names"));
    const deployId = created.outs.deployId!;
    expect(harness.fake.calls).toContain(`PUT /deploys/${deployId}/files/a%20b%25.html`);
    expect(harness.fake.calls).toContain(`PUT /deploys/${deployId}/files/docs/read%20me+.html`);
    expect([...harness.fake.sites.get(created.id)!.files.keys()].sort()).toEqual(["a b%.html", "docs/read me+.html", "index.html", "style.css"]);
    await deleteSite(created.id);
  });

  it.each(["a#b.html", "search?.html"])("refuses the bundle file %s before creating anything", async (file) => {
    await harness.write(file, "<p>cannot be addressed</p>");
    const from = harness.fake.calls.length;
    const error = await createSite(harness.inputs("bad-file-name")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlifyFileNameError);
    expect((error as NetlifyFileNameError).file).toBe(file);
    expect((error as Error).message).toBe(`the bundle file '${file}' cannot be deployed to Netlify: deployed file names cannot contain '#' or '?' (rename the file)`);
    expect(harness.fake.calls.slice(from)).toEqual([]);
  });

  it("refuses a bad file name on update before changing the site", async () => {
    const created = await createSite(harness.inputs("bad-name-update"));
    await harness.write("x#y.css", "p{}");
    const from = harness.fake.calls.length;
    const news = harness.inputs("bad-name-update", { digest: "sha256:two", customDomain: "www.example.org" });
    await expect(updateSite(created.id, created.outs, news)).rejects.toBeInstanceOf(NetlifyFileNameError);
    expect(harness.fake.calls.slice(from)).toEqual([]);
    expect(harness.fake.sites.get(created.id)!.custom_domain).toBeNull();
    await deleteSite(created.id);
  });
});
