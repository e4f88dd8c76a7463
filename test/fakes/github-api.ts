import { createHash, createPublicKey, randomBytes, verify } from "node:crypto";
import http from "node:http";
import { answerInjected, FailureQueue, serveFake, type FakeControls } from "./failures";
import { GitHubContract, type MatchedRequest } from "./github-openapi";
import { buildTarball, type TarEntry } from "./tarball";

/** A request the FAKE received, as it was sent and as it was answered. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  /** GitHub's operation id (`issues/create-comment`), or null when the description has no such operation. */
  readonly operationId: string | null;
  readonly body: unknown;
  readonly status: number;
  /** Why the FAKE refused it as breaking GitHub's description or its rules (no auth, no User-Agent); else null. */
  readonly invalid: string | null;
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** An issue comment in the FAKE. */
export interface FakeComment {
  readonly id: number;
  body: string;
  readonly user: string;
  readonly created_at: string;
  updated_at: string;
}

/** A commit status in the FAKE. */
export interface FakeStatus {
  readonly id: number;
  readonly state: string;
  readonly description: string | null;
  readonly target_url: string | null;
  readonly context: string;
}

/** A repository in the FAKE: its commits' archives, its issues' comments, its commits' statuses. */
interface FakeRepository {
  readonly archives: Map<string, Buffer>;
  readonly comments: Map<number, FakeComment[]>;
  readonly statuses: Map<string, FakeStatus[]>;
}

/** How the FAKE signs the service in. */
export interface FakeGitHubOptions {
  /** The token the FAKE accepts (`Authorization: token …` or `Bearer …`). */
  readonly token: string;
  /** A GitHub App the FAKE knows: JWTs it signs (RS256, `iss` = its id) get installation tokens for `installationId`. */
  readonly app?: { readonly id: string; readonly privateKey: string; readonly installationId: number };
  /** The login that writes the comments. @default "deployment-planner[bot]" */
  readonly login?: string;
}

/**
 * A FAKE of GitHub's REST API, for tests only: GitHub itself cannot be reached from the test machine. An HTTP server
 * on loopback that checks every request against GitHub's published OpenAPI description (`@octokit/openapi`) and
 * refuses — answering 404 or 422 as GitHub does and recording it in `invalid` — a request whose method and path the
 * description does not have, whose path or query parameters or JSON body do not validate against the operation's
 * schema, that carries no valid credentials, or no User-Agent (GitHub refuses those). It serves repositories'
 * commits as gzipped tarballs under GitHub's `<owner>-<repo>-<sha>/` top directory, redirecting (302) to a
 * codeload-like second server as GitHub does; issue comments (list with Link-header pagination, create, edit); commit
 * statuses; and GitHub App installation tokens. `failNext` scripts answers per route (`502` then the real one; `403`
 * with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`); `requests` records everything it was sent.
 */
export interface FakeGitHub extends FakeControls {
  /** The API's root, for `api_url`. */
  readonly url: string;
  /** Every request, in arrival order (the codeload server's included, with operation id `codeload`). */
  readonly requests: RecordedRequest[];
  /** The requests it refused as breaking the description or its rules; a test asserts this empty. */
  readonly invalid: RecordedRequest[];
  /** Adds a commit with these files (path -> content) to `owner/repo` and returns its SHA. */
  addCommit(repository: string, files: Record<string, string>): string;
  /** Adds a commit whose archive holds exactly these entries, under the top directory GitHub would use (hostile archives). */
  addRawCommit(repository: string, entries: (top: string) => readonly TarEntry[]): string;
  /** The comments on an issue or pull request, oldest first. */
  comments(repository: string, issue: number): FakeComment[];
  /** Adds a comment as someone else (`login`), e.g. to fill pages or to copy a marker. */
  addComment(repository: string, issue: number, body: string, login: string): FakeComment;
  /** The statuses set on a commit, oldest first. */
  statuses(repository: string, sha: string): FakeStatus[];
}

/** Starts the FAKE on a free loopback port, with a second port for the archive downloads it redirects to. */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const contract = GitHubContract.load();
  const repositories = new Map<string, FakeRepository>();
  const requests: RecordedRequest[] = [];
  const invalid: RecordedRequest[] = [];
  const installationTokens = new Set<string>();
  const downloadTokens = new Map<string, Buffer>();
  const login = options.login ?? "deployment-planner[bot]";
  let nextId = 1000;
  const failures = new FailureQueue((match, call) => call.startsWith(match));

  const repository = (name: string): FakeRepository => {
    const key = name.toLowerCase();
    let repo = repositories.get(key);
    if (!repo) repositories.set(key, (repo = { archives: new Map(), comments: new Map(), statuses: new Map() }));
    return repo;
  };
  const known = (owner: string, repo: string) => repositories.get(`${owner}/${repo}`.toLowerCase());

  const record = (entry: Omit<RecordedRequest, "at">) => {
    const recorded = { ...entry, at: Date.now() };
    requests.push(recorded);
    if (recorded.invalid) invalid.push(recorded);
  };

  const codeload = http.createServer((req, res) => {
    const token = new URL(req.url ?? "/", "http://codeload.invalid").searchParams.get("token") ?? "";
    const archive = downloadTokens.get(token);
    record({ method: req.method ?? "GET", url: req.url ?? "/", operationId: "codeload", body: undefined, status: archive ? 200 : 404, invalid: null });
    if (!archive || req.method !== "GET") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/x-gzip", "content-length": archive.length }).end(archive);
  });
  const codeloadServer = await serveFake(codeload, new FailureQueue(() => false));

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}, refusal: string | null = null, operationId: string | null = null, body: unknown = undefined) => {
      record({ method, url, operationId, body, status, invalid: refusal });
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(payload === undefined ? "" : JSON.stringify(payload));
    };

    const checked = contract.check({ method, url, contentType: req.headers["content-type"], body: raw });
    if ("violation" in checked) return send(checked.notFound ? 404 : 422, { message: checked.violation, documentation_url: "https://docs.github.com/rest" }, {}, checked.violation);
    const { operation } = checked;
    if (!req.headers["user-agent"]) return send(403, { message: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header" }, {}, "no User-Agent header", operation.operationId);
    const credential = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const isAppCall = operation.operationId === "apps/create-installation-access-token";
    const authorised = credential !== undefined && (isAppCall ? appJwtValid(credential, options.app) : credential === options.token || installationTokens.has(credential));
    if (!authorised) return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" }, {}, "no valid credentials", operation.operationId, checked.body);

    const call = `${method} ${new URL(url, "http://fake.invalid").pathname}`;
    const failure = failures.take(call);
    if (failure) {
      record({ method, url, operationId: operation.operationId, body: checked.body, status: failure.answer === "timeout" ? 0 : failure.answer, invalid: null });
      return answerInjected(res, failure, { message: failure.answer === 403 ? "API rate limit exceeded for installation." : "Server Error" });
    }
    const answer = serve(checked);
    send(answer.status, answer.payload, answer.headers, null, operation.operationId, checked.body);
  });

  const started = await serveFake(server, failures);
  const apiUrl = started.origin;

  function serve(request: MatchedRequest): { status: number; payload?: unknown; headers?: Record<string, string> } {
    const { operation, path, query, body } = request;
    const owner = String(path.owner ?? "");
    const name = String(path.repo ?? "");
    if (operation.operationId === "apps/create-installation-access-token") {
      if (!options.app || path.installation_id !== options.app.installationId) return { status: 404, payload: { message: "Not Found" } };
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      installationTokens.add(token);
      return { status: 201, payload: { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { contents: "read", issues: "write", statuses: "write" }, repository_selection: "all" } };
    }
    const repo = known(owner, name);
    if (!repo) return { status: 404, payload: { message: "Not Found" } };
    switch (operation.operationId) {
      case "repos/download-tarball-archive": {
        const archive = repo.archives.get(String(path.ref));
        if (!archive) return { status: 404, payload: { message: "Not Found" } };
        const token = randomBytes(12).toString("hex");
        downloadTokens.set(token, archive);
        return { status: 302, payload: undefined, headers: { location: `${codeloadServer.origin}/${owner}/${name}/legacy.tar.gz/${path.ref}?token=${token}` } };
      }
      case "issues/list-comments": {
        const all = repo.comments.get(Number(path.issue_number)) ?? [];
        const perPage = Math.min(Number(query.per_page ?? 30), 100);
        const page = Math.max(Number(query.page ?? 1), 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const link = (n: number, rel: string) => `<${apiUrl}/repos/${owner}/${name}/issues/${path.issue_number}/comments?per_page=${perPage}&page=${n}>; rel="${rel}"`;
        const links = [...(page < last ? [link(page + 1, "next"), link(last, "last")] : []), ...(page > 1 ? [link(1, "first"), link(page - 1, "prev")] : [])];
        return { status: 200, payload: all.slice((page - 1) * perPage, page * perPage).map((c) => commentView(c, owner, name, Number(path.issue_number))), headers: links.length ? { link: links.join(", ") } : {} };
      }
      case "issues/create-comment": {
        const comment = addComment(repo, Number(path.issue_number), (body as { body: string }).body, login);
        return { status: 201, payload: commentView(comment, owner, name, Number(path.issue_number)) };
      }
      case "issues/update-comment": {
        for (const [issue, list] of repo.comments) {
          const comment = list.find((c) => c.id === Number(path.comment_id));
          if (!comment) continue;
          if (comment.user !== login) return { status: 403, payload: { message: "Resource not accessible by integration" } };
          comment.body = (body as { body: string }).body;
          comment.updated_at = new Date().toISOString();
          return { status: 200, payload: commentView(comment, owner, name, issue) };
        }
        return { status: 404, payload: { message: "Not Found" } };
      }
      case "repos/create-commit-status": {
        const sha = String(path.sha);
        if (!repo.archives.has(sha)) return { status: 422, payload: { message: `No commit found for SHA: ${sha}` } };
        const sent = body as { state: string; description?: string | null; target_url?: string | null; context?: string };
        const status: FakeStatus = { id: nextId++, state: sent.state, description: sent.description ?? null, target_url: sent.target_url ?? null, context: sent.context ?? "default" };
        const list = repo.statuses.get(sha) ?? [];
        repo.statuses.set(sha, [...list, status]);
        return { status: 201, payload: { ...status, url: `${apiUrl}/repos/${owner}/${name}/statuses/${sha}`, node_id: `SC_${status.id}`, created_at: new Date().toISOString() } };
      }
      default:
        return { status: 501, payload: { message: `the fake does not serve ${operation.operationId}` } };
    }
  }

  function addComment(repo: FakeRepository, issue: number, text: string, author: string): FakeComment {
    const now = new Date().toISOString();
    const comment: FakeComment = { id: nextId++, body: text, user: author, created_at: now, updated_at: now };
    repo.comments.set(issue, [...(repo.comments.get(issue) ?? []), comment]);
    return comment;
  }

  function commentView(comment: FakeComment, owner: string, name: string, issue: number) {
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${apiUrl}/repos/${owner}/${name}/issues/comments/${comment.id}`,
      html_url: `https://github.invalid/${owner}/${name}/pull/${issue}#issuecomment-${comment.id}`,
      issue_url: `${apiUrl}/repos/${owner}/${name}/issues/${issue}`,
      body: comment.body,
      user: { login: comment.user, id: 1, type: comment.user.endsWith("[bot]") ? "Bot" : "User" },
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: "NONE",
    };
  }

  const addArchive = (repositoryName: string, entries: (top: string) => readonly TarEntry[], seed: string): string => {
    const [owner, name] = repositoryName.split("/") as [string, string];
    const sha = createHash("sha1").update(`${repositoryName}\0${seed}\0${nextId++}`).digest("hex");
    repository(repositoryName).archives.set(sha, buildTarball(entries(`${owner}-${name}-${sha.slice(0, 7)}`), sha));
    return sha;
  };

  return {
    url: apiUrl,
    requests,
    invalid,
    addCommit: (repositoryName, files) =>
      addArchive(repositoryName, (top) => [...directoriesOf(top, Object.keys(files)), ...Object.entries(files).map(([file, content]) => ({ path: `${top}/${file}`, content }))], JSON.stringify(files)),
    addRawCommit: (repositoryName, entries) => addArchive(repositoryName, entries, "raw"),
    comments: (repositoryName, issue) => repository(repositoryName).comments.get(issue) ?? [],
    addComment: (repositoryName, issue, body, author) => addComment(repository(repositoryName), issue, body, author),
    statuses: (repositoryName, sha) => repository(repositoryName).statuses.get(sha) ?? [],
    failNext: started.controls.failNext,
    clearFailures: started.controls.clearFailures,
    close: async () => {
      await Promise.all([started.controls.close(), codeloadServer.controls.close()]);
    },
  };
}

/** The directory entries GitHub's archive holds for these files: the top directory and every folder, parents first. */
function directoriesOf(top: string, files: readonly string[]): TarEntry[] {
  const folders = new Set<string>();
  for (const file of files) {
    const parts = file.split("/").slice(0, -1);
    for (let depth = 1; depth <= parts.length; depth += 1) folders.add(parts.slice(0, depth).join("/"));
  }
  return [{ path: `${top}/`, type: "Directory" }, ...[...folders].sort().map((folder) => ({ path: `${top}/${folder}/`, type: "Directory" as const }))];
}

/** Whether a JWT is an RS256 token signed with the app's key, issued by the app, and not expired. */
function appJwtValid(jwt: string, app: FakeGitHubOptions["app"]): boolean {
  if (!app) return false;
  const [header, payload, signature] = jwt.split(".");
  if (!header || !payload || !signature) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown; exp?: unknown };
    const signed = verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), createPublicKey(app.privateKey), Buffer.from(signature, "base64url"));
    return signed && String(claims.iss) === app.id && typeof claims.exp === "number" && claims.exp * 1000 > Date.now();
  } catch {
    return false;
  }
}
