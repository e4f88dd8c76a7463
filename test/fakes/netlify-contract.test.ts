import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NETLIFY_OPENAPI, startFakeNetlify, type FakeNetlify } from "./netlify-api";
import { OpenApiContract, toJsonSchema } from "./openapi-contract";

// The FAKE Netlify API checks every request and answer against Netlify's OpenAPI description; these tests show that
// it refuses what the description does not allow, so a provider test passing against it means something.

const TOKEN = "fake-netlify-token";

describe("the fake Netlify API holds requests to Netlify's OpenAPI description", () => {
  let fake: FakeNetlify;
  beforeAll(async () => {
    fake = await startFakeNetlify(TOKEN);
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    fake.violations.splice(0);
  });

  const send = async (method: string, path: string, body?: unknown, contentType = "application/json") => {
    const answer = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": contentType }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json().catch(() => null)) as { message?: string } | null };
  };

  it.each([
    ["a path the description does not have", "GET", "/sites/some-site/not-a-thing", undefined, /no path of the description matches/],
    ["a method the path does not offer", "DELETE", "/sites", undefined, /DELETE is not an operation of \/sites/],
    ["a body field the description does not define", "POST", "/sites", { name: "x", colour: "blue" }, /createSite: body \(root\) must NOT have additional properties 'colour'/],
    ["a field of the wrong type", "POST", "/sites", { name: 42 }, /createSite: body \/name must be string/],
    ["a missing required body", "POST", "/sites", undefined, /createSite: the body is required/],
    ["a query value outside its enum", "GET", "/sites?filter=mine", undefined, /listSites: query parameter 'filter' must be one of all, owner, guest/],
    ["a query parameter the description does not have", "GET", "/sites?colour=blue", undefined, /listSites: query parameter 'colour' is not in the description/],
    ["a variable scope outside the description's list", "POST", "/accounts/a/env?site_id=s", [{ key: "K", scopes: ["post_processing"] }], /createEnvVars: body \/0\/scopes\/0 must be equal to one of the allowed values/],
    ["a file path that is not valid percent-encoding", "PUT", "/deploys/d/files/a%.html", "x", /path parameter 'path' is not valid percent-encoding/],
  ])("refuses %s with 400 and records it", async (_what, method, path, body, message) => {
    const contentType = path.includes("/files/") ? "application/octet-stream" : "application/json";
    const answer = await send(method, path, body, contentType);
    expect(answer.status).toBe(400);
    expect(answer.body?.message).toMatch(message);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatch(message);
  });

  it("refuses variables in build_settings.env, which the description says have moved to the variable endpoints", async () => {
    const site = await send("POST", "/sites", { name: "moved-env" });
    const answer = await send("PATCH", `/sites/${(site.body as { id: string }).id}`, { build_settings: { env: { A: "b" } } });
    expect(answer.status).toBe(422);
    expect(answer.body?.message).toMatch(/build_settings\.env is no longer where variables are set/);
  });

  it("serves a request the description allows and records nothing", async () => {
    const answer = await send("GET", "/sites?name=x&filter=all&page=1&per_page=100");
    expect(answer.status).toBe(200);
    expect(fake.violations).toEqual([]);
  });
});

describe("Netlify's OpenAPI description as checks", () => {
  const contract = OpenApiContract.load(NETLIFY_OPENAPI);

  it("finds an answer that does not match the description's response schema", () => {
    const getSite = contract.operation("getSite")!;
    expect(contract.checkResponse(getSite, 200, { id: "s", name: "n" })).toBeNull();
    expect(contract.checkResponse(getSite, 200, { id: 7 })).toBe("getSite: answer 200 /id must be string");
    expect(contract.checkResponse(getSite, 404, { code: 404 })).toBe("getSite: answer 404 (root) must have required property 'message'");
    expect(contract.checkResponse(contract.operation("deleteSite")!, 204, { id: "s" })).toBe("deleteSite: status 204 has no body in the description");
  });

  it("reads x-nullable as a null type and merges allOf before closing an object", () => {
    const schema = toJsonSchema({ allOf: [{ type: "object", properties: { a: { type: "string", "x-nullable": true } } }, { type: "object", properties: { b: { type: "integer" } } }] }, true);
    expect(schema).toEqual({ type: "object", properties: { a: { type: ["string", "null"] }, b: { type: "integer" } }, additionalProperties: false });
  });

  it("matches a deploy file path across slashes only for the file path parameter", () => {
    const upload = contract.checkRequest({ method: "PUT", url: "/deploys/d/files/docs/a%20b.html", contentType: "application/octet-stream", body: Buffer.from("x") });
    expect(upload).toMatchObject({ operation: { operationId: "uploadDeployFile" }, path: { deploy_id: "d", path: "docs/a b.html" } });
    expect(contract.checkRequest({ method: "GET", url: "/sites/a/b", contentType: undefined, body: Buffer.alloc(0) })).toEqual({ violation: "no path of the description matches /sites/a/b" });
  });
});
