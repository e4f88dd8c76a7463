import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A FAKE of the documented subset of Netlify's HTTP API (sites, build settings, file-digest deploys), kept in memory on
 * loopback. It stands in for Netlify, which cannot be reached from the test machine; it checks the bearer token and
 * can answer the next calls with an injected status (401, 429, 500).
 */
export interface FakeNetlify {
  readonly url: string;
  readonly sites: Map<string, { id: string; name: string; custom_domain: string | null; env: Record<string, string>; files: Set<string> }>;
  /** Every uploaded file's SHA-1, across deploys (what "the site already has"). */
  readonly uploads: string[];
  readonly calls: string[];
  /** Answers the next `count` calls matching `method path-prefix` with `status`. */
  failNext(status: number, count?: number, match?: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startFakeNetlify(token: string): Promise<FakeNetlify> {
  const sites: FakeNetlify["sites"] = new Map();
  const deploys = new Map<string, { siteId: string; files: Record<string, string>; required: Set<string> }>();
  const uploads: string[] = [];
  const calls: string[] = [];
  const failures: { status: number; remaining: number; match?: string; headers?: Record<string, string> }[] = [];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = (req.url ?? "").replace(/^\/api\/v1/, "");
    const call = `${req.method} ${url}`;
    calls.push(call);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(payload === undefined ? "" : JSON.stringify(payload));
    };
    const failure = failures.find((f) => f.remaining > 0 && (!f.match || call.startsWith(f.match)));
    if (failure) {
      failure.remaining -= 1;
      return send(failure.status, { code: failure.status, message: "injected failure" }, failure.headers);
    }
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    sites,
    uploads,
    calls,
    failNext(status, count = 1, match, headers) {
      failures.push({ status, remaining: count, match, headers });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
