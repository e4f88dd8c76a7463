import { describe, expect, it } from "vitest";
import { createSite, deleteSite, updateSite } from "../../src/components/netlify/provider-impl";
import { TOKEN, useFakeNetlify } from "./netlify-harness";

// Site variables against a local FAKE of Netlify's API, which keeps them as the environment variable endpoints do.

const SECRET = "https://key@sentry.example/1";

describe("Netlify site variables against a fake Netlify API", () => {
  const harness = useFakeNetlify();
  const vars = (siteId: string) => harness.fake.sites.get(siteId)!.vars;

  it("sets plain variables for every context and scope, and secrets as secret production values outside post-processing", async () => {
    const created = await createSite(harness.inputs("variables-site"));
    const site = harness.fake.sites.get(created.id)!;
    expect(vars(created.id).get("PUBLIC_API")).toMatchObject({
      is_secret: false,
      scopes: ["builds", "functions", "runtime", "post-processing"],
      values: [{ context: "all", value: "https://api.example.com" }],
    });
    expect(vars(created.id).get("SENTRY_DSN")).toMatchObject({ is_secret: true, scopes: ["builds", "functions", "runtime"], values: [{ context: "production", value: SECRET }] });
    // Through the account that owns the site, scoped to the site.
    expect(harness.fake.calls).toContain(`POST /accounts/${site.account_id}/env?site_id=${created.id}`);
    expect(harness.fake.calls.some((c) => c.startsWith(`PATCH /sites/${created.id}`))).toBe(false);
    await deleteSite(created.id);
  });

  it("never gets a secret's value back from Netlify once it is set", async () => {
    const created = await createSite(harness.inputs("secret-readback"));
    const site = harness.fake.sites.get(created.id)!;
    const answer = await fetch(`${harness.fake.url}/accounts/${site.account_slug}/env?site_id=${created.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(text).toContain("SENTRY_DSN");
    expect(text).not.toContain(SECRET);
    await deleteSite(created.id);
  });

  it("replaces changed variables, deletes removed ones and re-creates one whose secrecy changed", async () => {
    const created = await createSite(harness.inputs("variables-update", { env: { KEEP: "1", DROP: "old", BECOMES_SECRET: "visible" }, secretEnv: { TOKEN_A: "secret-a-value" } }));
    const news = harness.inputs("variables-update", { env: { KEEP: "2" }, secretEnv: { BECOMES_SECRET: "hidden-now", TOKEN_B: "secret-b-value" } });
    await updateSite(created.id, created.outs, news);
    const after = vars(created.id);
    expect([...after.keys()].sort()).toEqual(["BECOMES_SECRET", "KEEP", "TOKEN_B"]);
    expect(after.get("KEEP")!.values).toMatchObject([{ context: "all", value: "2" }]);
    expect(after.get("BECOMES_SECRET")).toMatchObject({ is_secret: true, values: [{ context: "production", value: "hidden-now" }] });
    expect(after.get("TOKEN_B")!.is_secret).toBe(true);
    await deleteSite(created.id);
  });

  it("sets the variables again on an update, restoring one deleted in Netlify's dashboard", async () => {
    const created = await createSite(harness.inputs("variables-restored"));
    vars(created.id).delete("PUBLIC_API");
    await harness.write("index.html", "<h1>v2</h1>");
    await updateSite(created.id, created.outs, harness.inputs("variables-restored", { digest: "sha256:two" }));
    expect([...vars(created.id).keys()].sort()).toEqual(["PUBLIC_API", "SENTRY_DSN"]);
    await deleteSite(created.id);
  });

  it("adopts variables a create made before answering 502, without creating them twice", async () => {
    harness.fake.failNext(502, 1, "POST /accounts/", { afterActing: true });
    const created = await createSite(harness.inputs("variables-adopted"));
    expect([...vars(created.id).keys()].sort()).toEqual(["PUBLIC_API", "SENTRY_DSN"]);
    expect(harness.fake.calls.filter((c) => c.startsWith("POST /accounts/") && c.endsWith(`site_id=${created.id}`))).toHaveLength(1);
    await deleteSite(created.id);
  });
});
