import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import { answerInjected, FailureQueue, serveFake, type FakeControls } from "./failures";

/**
 * A FAKE of the documented subset of Netlify's HTTP API (sites, build settings, file-digest deploys), kept in memory on
 * loopback. It stands in for Netlify, which cannot be reached from the test machine; it checks the bearer token and
 * can answer the next calls with an injected status (401, 429, 502) or not at all, before or after carrying them out;
 * `failNext` selects the calls whose `METHOD /path` starts with its `match`.
 */
export interface FakeNetlify extends FakeControls {
  readonly url: string;
  readonly sites: Map<string, { id: string; name: string; custom_domain: string | null; env: Record<string, string>; files: Set<string> }>;
  /** Every uploaded file's SHA-1, across deploys (what "the site already has"). */
  readonly uploads: string[];
  readonly calls: string[];
}

/** Starts the fake on a free loopback port; it accepts only `token`. */
export async function startFakeNetlify(token: string): Promise<FakeNetlify> {
  const sites: FakeNetlify["sites"] = new Map();
  const deploys = new Map<string, { siteId: string; files: Record<string, string>; required: Set<string> }>();
  const uploads: string[] = [];
  const calls: string[] = [];
  const failures = new FailureQueue((match, call) => call.startsWith(match));

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
    // After acting, the routes below do their work and the injected answer takes the place of theirs.
    const send = (status: number, payload?: unknown) => {
      if (failure) return answerInjected(res, failure, injected);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(payload === undefined ? "" : JSON.stringify(payload));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { code: 401, message: "Access Denied" });
    const json = () => (body.length > 0 ? JSON.parse(body.toString()) : {});
    const siteView = (s: NonNullable<ReturnType<typeof sites.get>>) => ({
      id: s.id,
      name: s.name,
      url: `http://${s.name}.netlify.app`,
      ssl_url: `https://${s.name}.netlify.app`,
      admin_url: `https://app.netlify.com/sites/${s.name}`,
      custom_domain: s.custom_domain,
      build_settings: { env: s.env },
    });
    let m: RegExpExecArray | null;
    if (req.method === "GET" && url.startsWith("/sites?")) {
      // listSites: `name` matches by substring, one page of `per_page` at a time.
      const query = new URL(url, "http://fake").searchParams;
      const perPage = Number(query.get("per_page") ?? 100);
      const page = Number(query.get("page") ?? 1);
      const matching = [...sites.values()].filter((s) => s.name.includes(query.get("name") ?? ""));
      return send(200, matching.slice((page - 1) * perPage, page * perPage).map(siteView));
    }
    if (req.method === "POST" && url === "/sites") {
      const input = json();
      if ([...sites.values()].some((s) => s.name === input.name)) return send(422, { message: "subdomain must be unique" });
      const site = { id: randomUUID(), name: input.name, custom_domain: input.custom_domain ?? null, env: {}, files: new Set<string>() };
      sites.set(site.id, site);
      return send(201, siteView(site));
    }
    if ((m = /^\/sites\/([^/]+)$/.exec(url))) {
      const site = sites.get(decodeURIComponent(m[1]!));
      if (!site) return send(404, { message: "Not Found" });
      if (req.method === "GET") return send(200, siteView(site));
      if (req.method === "PATCH") {
        const input = json();
        if ("custom_domain" in input) site.custom_domain = input.custom_domain;
        if (input.build_settings?.env) site.env = input.build_settings.env;
        return send(200, siteView(site));
      }
      if (req.method === "DELETE") {
        sites.delete(site.id);
        return send(204);
      }
    }
    if (req.method === "POST" && (m = /^\/sites\/([^/]+)\/deploys$/.exec(url))) {
      const site = sites.get(decodeURIComponent(m[1]!));
      if (!site) return send(404, { message: "Not Found" });
      const files = json().files as Record<string, string>;
      const required = new Set(Object.values(files).filter((sha) => !uploads.includes(sha)));
      const id = randomUUID();
      deploys.set(id, { siteId: site.id, files, required });
      return send(200, { id, required: [...required] });
    }
    if (req.method === "PUT" && (m = /^\/deploys\/([^/]+)\/files(\/.+)$/.exec(url))) {
      const deploy = deploys.get(decodeURIComponent(m[1]!));
      if (!deploy) return send(404, { message: "Not Found" });
      const sha = createHash("sha1").update(body).digest("hex");
      if (deploy.files[decodeURIComponent(m[2]!)] !== sha) return send(422, { message: "digest mismatch" });
      uploads.push(sha);
      deploy.required.delete(sha);
      sites.get(deploy.siteId)?.files.add(decodeURIComponent(m[2]!));
      return send(200, { id: sha });
    }
    send(404, { message: `no route ${call}` });
  });
  const { origin, controls } = await serveFake(server, failures);
  return { url: `${origin}/api/v1`, sites, uploads, calls, ...controls };
}
