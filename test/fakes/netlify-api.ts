import { createHash, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { createRequire } from "node:module";
import { answerInjected, FailureQueue, serveFake, type FakeControls } from "./failures";
import { envVarView, refuseEnvVar, storedEnvVar, type EnvVarInput, type FakeEnvVar } from "./netlify-env";
import { OpenApiContract, type CheckedRequest } from "./openapi-contract";

/** Netlify's own OpenAPI description, as `@netlify/open-api` ships it. */
export const NETLIFY_OPENAPI = createRequire(__filename).resolve("@netlify/open-api/dist/swagger.json");

/**
 * Fields the real API answers with `null` although the description types them as plain strings: netlify/cli#1417
 * shows `createSite` answering `"custom_domain": null`, which is also how a site without a custom domain is written.
 */
const NULL_IN_PRACTICE = ["custom_domain"];

/** How the FAKE's next deploys go through Netlify's deploy states. Counted in reads of the deploy, not in time. */
export interface DeployScript {
  /** Reads that an `async` deploy stays `preparing` (diffing) before it is `prepared` and lists what it needs. */
  preparingPolls: number;
  /** Reads that a deploy stays `processing` after its last file arrived. */
  processingPolls: number;
  /** How processing ends: `ready` (published) or `error` with `errorMessage`. */
  outcome: "ready" | "error";
  errorMessage: string;
}

/** A site in the FAKE. */
export interface FakeSite {
  readonly id: string;
  readonly name: string;
  readonly account_id: string;
  readonly account_slug: string;
  custom_domain: string | null;
  readonly vars: Map<string, FakeEnvVar>;
  /** The published files (path -> SHA-1): those of the last deploy that reached `ready`. */
  files: Map<string, string>;
  /** Id of the published deploy (the last that reached `ready`), answered as `published_deploy`; null before any. */
  publishedDeployId: string | null;
}

/** A deploy in the FAKE. */
export interface FakeDeploy {
  readonly id: string;
  readonly siteId: string;
  readonly files: Record<string, string>;
  readonly required: Set<string>;
  readonly async: boolean;
  state: string;
  polls: number;
  readonly script: DeployScript;
}

/**
 * A FAKE of the part of Netlify's HTTP API this product uses (sites, site variables, file-digest deploys), kept in
 * memory on loopback, standing in for Netlify, which cannot be reached from the test machine. Every request is checked
 * against Netlify's OpenAPI description before it is served, and every answer before it is sent: a request the
 * description does not allow is answered 400 and recorded in `violations`, which a test asserts empty. Deploys go
 * through Netlify's states as `deployScript` says. The fake checks the bearer token and can answer the next calls with
 * an injected status (401, 429, 502) or not at all, before or after carrying them out; `failNext` selects the calls
 * whose `METHOD /path` starts with its `match`.
 */
export interface FakeNetlify extends FakeControls {
  readonly url: string;
  readonly sites: Map<string, FakeSite>;
  readonly deploys: Map<string, FakeDeploy>;
  /** Every uploaded file's SHA-1, across deploys (what "the site already has"). */
  readonly uploads: string[];
  /** `METHOD /path?query` of every call, as received (still percent-encoded). */
  readonly calls: string[];
  /** Requests the description does not allow and answers that do not match it; empty when every call conformed. */
  readonly violations: string[];
  /** How deploys created from now on proceed; tests change it and `resetDeployScript` restores it. */
  deployScript: DeployScript;
  resetDeployScript(): void;
}

const DEFAULT_SCRIPT: DeployScript = { preparingPolls: 1, processingPolls: 2, outcome: "ready", errorMessage: "" };

/** Starts the fake on a free loopback port; it accepts only `token`. */
export async function startFakeNetlify(token: string): Promise<FakeNetlify> {
  const contract = OpenApiContract.load(NETLIFY_OPENAPI, NULL_IN_PRACTICE);
  const sites = new Map<string, FakeSite>();
  const deploys = new Map<string, FakeDeploy>();
  const uploads: string[] = [];
  const calls: string[] = [];
  const violations: string[] = [];
  const failures = new FailureQueue((match, call) => call.startsWith(match));
  const accountId = randomBytes(12).toString("hex");

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = (req.url ?? "").replace(/^\/api\/v1/, "");
    const call = `${req.method} ${url}`;
    calls.push(call);
    const failure = failures.take(call);
    const injected = { code: failure?.answer, message: "injected failure" };
    if (failure && !failure.afterActing) return answerInjected(res, failure, injected);
    const write = (status: number, payload: unknown) => {
      // After acting, the routes below did their work and the injected answer takes the place of theirs.
      if (failure) return answerInjected(res, failure, injected);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(payload === undefined ? "" : JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return write(401, { code: 401, message: "Access Denied" });
    const checked = contract.checkRequest({ method: req.method ?? "", url, contentType: req.headers["content-type"], body });
    if ("violation" in checked) {
      violations.push(`${call}: ${checked.violation}`);
      return write(400, { code: 400, message: checked.violation });
    }
    const send = (status: number, payload?: unknown) => {
      const problem = contract.checkResponse(checked.operation, status, payload);
      if (problem) {
        violations.push(`${call}: the fake's ${problem}`);
        return write(500, { code: 500, message: problem });
      }
      write(status, payload);
    };
    serve(checked, send);
  });

  const siteView = (s: FakeSite) => ({
    id: s.id,
    name: s.name,
    account_id: s.account_id,
    account_slug: s.account_slug,
    url: `http://${s.name}.netlify.app`,
    ssl_url: `https://${s.name}.netlify.app`,
    admin_url: `https://app.netlify.com/sites/${s.name}`,
    custom_domain: s.custom_domain,
    ...(s.publishedDeployId ? { published_deploy: { id: s.publishedDeployId, site_id: s.id, state: "ready" } } : {}),
  });
  const deployView = (d: FakeDeploy) => {
    const site = sites.get(d.siteId);
    const listsRequired = d.state !== "preparing";
    return {
      id: d.id,
      site_id: d.siteId,
      state: d.state,
      ...(listsRequired ? { required: [...d.required] } : {}),
      ...(d.state === "error" ? { error_message: d.script.errorMessage } : {}),
      ...(site ? { ssl_url: `https://${site.name}.netlify.app`, admin_url: `https://app.netlify.com/sites/${site.name}` } : {}),
    };
  };
  // One read of a deploy moves it on as its script says; uploads move it from `prepared` to `uploaded`.
  const advance = (d: FakeDeploy) => {
    d.polls += 1;
    if (d.state === "preparing" && d.polls > d.script.preparingPolls) {
      d.state = d.required.size > 0 ? "prepared" : "uploaded";
      d.polls = 0;
    } else if (d.state === "uploaded") {
      d.state = "processing";
      d.polls = 0;
    } else if (d.state === "processing" && d.polls > d.script.processingPolls) {
      d.state = d.script.outcome;
      if (d.state === "ready") Object.assign(sites.get(d.siteId)!, { files: new Map(Object.entries(d.files)), publishedDeployId: d.id });
    }
  };

  const serve = ({ operation, path, query, body }: CheckedRequest, send: (status: number, payload?: unknown) => void) => {
    const notFound = () => send(404, { code: 404, message: "Not Found" });
    const site = path.site_id !== undefined ? sites.get(path.site_id) : undefined;
    const input = body as Record<string, unknown>;
    switch (operation.operationId) {
      case "listSites": {
        // `name` matches by substring, one page of `per_page` at a time.
        const perPage = Number(query.per_page ?? 100);
        const page = Number(query.page ?? 1);
        const matching = [...sites.values()].filter((s) => s.name.includes(query.name ?? ""));
        return send(200, matching.slice((page - 1) * perPage, page * perPage).map(siteView));
      }
      case "createSite": {
        if ([...sites.values()].some((s) => s.name === input.name)) return send(422, { code: 422, message: "subdomain must be unique" });
        const created: FakeSite = { id: randomUUID(), name: String(input.name), account_id: accountId, account_slug: "fake-team", custom_domain: (input.custom_domain as string) ?? null, vars: new Map(), files: new Map(), publishedDeployId: null };
        sites.set(created.id, created);
        return send(201, siteView(created));
      }
      case "getSite":
        return site ? send(200, siteView(site)) : notFound();
      case "updateSite": {
        if (!site) return notFound();
        // The description's note on updateSite: variables have moved out of `build_settings.env` and `repo.env`.
        const moved = ["build_settings", "repo"].filter((field) => (input[field] as { env?: unknown } | undefined)?.env !== undefined);
        if (moved.length > 0) return send(422, { code: 422, message: `${moved[0]}.env is no longer where variables are set; use the environment variable endpoints` });
        if ("custom_domain" in input) site.custom_domain = (input.custom_domain as string | null) || null;
        return send(200, siteView(site));
      }
      case "deleteSite":
        if (!site) return notFound();
        sites.delete(site.id);
        return send(204);
      case "createSiteDeploy": {
        if (!site) return notFound();
        const files = (input.files ?? {}) as Record<string, string>;
        // netlify/cli refuses these names before creating a deploy (`normalizePath`): no URL can address them.
        const bad = Object.keys(files).find((file) => /[#?]/.test(file));
        if (bad) return send(422, { code: 422, message: `Invalid filename ${bad}` });
        const required = new Set(Object.values(files).filter((sha) => !uploads.includes(sha)));
        const deploy: FakeDeploy = { id: randomUUID(), siteId: site.id, files, required, async: input.async === true, state: "", polls: 0, script: { ...fake.deployScript } };
        deploy.state = deploy.async ? "preparing" : required.size > 0 ? "prepared" : "uploaded";
        deploys.set(deploy.id, deploy);
        return send(200, deployView(deploy));
      }
      case "getSiteDeploy": {
        const deploy = deploys.get(path.deploy_id!);
        if (!site || !deploy || deploy.siteId !== site.id) return notFound();
        advance(deploy);
        return send(200, deployView(deploy));
      }
      case "cancelSiteDeploy": {
        const deploy = deploys.get(path.deploy_id!);
        if (!deploy) return notFound();
        if (deploy.state !== "ready") deploy.state = "error";
        return send(201, deployView(deploy));
      }
      case "uploadDeployFile": {
        const deploy = deploys.get(path.deploy_id!);
        if (!deploy) return notFound();
        if (!["prepared", "uploading", "uploaded"].includes(deploy.state)) return send(422, { code: 422, message: `deploy is ${deploy.state}, not accepting files` });
        const file = path.path!.replace(/^\//, "");
        const sha = createHash("sha1").update(body as Buffer).digest("hex");
        const listed = deploy.files[file] ?? deploy.files[`/${file}`];
        if (listed !== sha) return send(422, { code: 422, message: `${file} is not a file of this deploy with this content` });
        uploads.push(sha);
        deploy.required.delete(sha);
        deploy.state = deploy.required.size > 0 ? "uploading" : "uploaded";
        return send(200, { id: sha, path: `/${file}`, sha, size: (body as Buffer).length });
      }
      default:
        return serveEnv(operation.operationId, path, query, input, send);
    }
  };

  const serveEnv = (operationId: string, path: Record<string, string>, query: Record<string, string>, input: unknown, send: (status: number, payload?: unknown) => void) => {
    const site = query.site_id !== undefined ? sites.get(query.site_id) : undefined;
    // This fake keeps variables of sites only; the account in the path must be the one the site belongs to.
    if (!site || (path.account_id !== site.account_id && path.account_id !== site.account_slug)) return send(404, { code: 404, message: "Not Found" });
    const existing = path.key !== undefined ? site.vars.get(path.key) : undefined;
    switch (operationId) {
      case "getEnvVars":
        return send(200, [...site.vars.values()].map(envVarView));
      case "createEnvVars": {
        const inputs = input as (EnvVarInput & { key: string })[];
        const refused = inputs.map(refuseEnvVar).find(Boolean) ?? inputs.map((v) => v.key).find((key) => site.vars.has(key));
        if (refused) return send(422, { code: 422, message: site.vars.has(refused) ? `${refused} already exists` : refused });
        const created = inputs.map(storedEnvVar);
        for (const envVar of created) site.vars.set(envVar.key, envVar);
        return send(201, created.map(envVarView));
      }
      case "updateEnvVar": {
        if (!existing) return send(404, { code: 404, message: "Not Found" });
        const update = { ...(input as EnvVarInput), key: path.key! };
        const refused = refuseEnvVar(update);
        if (refused) return send(422, { code: 422, message: refused });
        const stored = storedEnvVar(update);
        site.vars.set(stored.key, stored);
        return send(200, envVarView(stored));
      }
      case "deleteEnvVar":
        if (!existing) return send(404, { code: 404, message: "Not Found" });
        site.vars.delete(existing.key);
        return send(204);
      default:
        return send(404, { code: 404, message: `this fake does not serve ${operationId}` });
    }
  };

  const { origin, controls } = await serveFake(server, failures);
  const fake: FakeNetlify = {
    url: `${origin}/api/v1`,
    sites,
    deploys,
    uploads,
    calls,
    violations,
    deployScript: { ...DEFAULT_SCRIPT },
    resetDeployScript: () => {
      fake.deployScript = { ...DEFAULT_SCRIPT };
    },
    ...controls,
  };
  return fake;
}
