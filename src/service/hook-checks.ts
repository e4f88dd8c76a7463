import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { failure, type FailureResult } from "../outcome";
import { grantedSource, refusedSecret, type ServiceGrants } from "./grants";
import { identifierSchema } from "../planner/spec";
import type { HookRule } from "./config";

/** How far a generic hook's `X-Timestamp` may be from the service's clock, in seconds, before it is refused. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** A delivery id (`X-GitHub-Delivery`, `X-Delivery-Id`): 1 to 200 printable ASCII characters. */
export const DELIVERY_ID = /^[\x20-\x7e]{1,200}$/;

/**
 * Whether `header` is `sha256=<hex>` of the HMAC-SHA256 of `signed` (its parts, in order) keyed with `secret`. The
 * digests are compared in constant time, on buffers of the same length, so the answer's timing tells nothing.
 */
export function signatureMatches(secret: string, header: unknown, ...signed: readonly (string | Buffer)[]): boolean {
  if (typeof header !== "string") return false;
  const given = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim())?.[1];
  if (given === undefined) return false;
  const hmac = createHmac("sha256", secret);
  for (const part of signed) hmac.update(part);
  const expected = hmac.digest();
  const givenBytes = Buffer.from(given, "hex");
  return givenBytes.length === expected.length && timingSafeEqual(givenBytes, expected);
}

/**
 * What a generic hook's signature covers before the raw body: `<X-Timestamp>.<X-Delivery-Id>.`. The delivery id is
 * inside the signature, so it cannot be changed to queue a captured delivery again.
 */
export function genericSignedPrefix(timestamp: string, deliveryId: string): string {
  return `${timestamp}.${deliveryId}.`;
}

/**
 * What makes a GitHub push the same push whatever delivery carries it: the repository (case-insensitive, as GitHub
 * names it), the branch and the head commit; null for a delivery that deploys nothing.
 */
export function githubPushKey(meaning: DeliveryMeaning): string | null {
  if (!("target" in meaning) || meaning.target.commit === undefined) return null;
  const { repository, branch, commit } = meaning.target;
  return JSON.stringify([repository.toLowerCase(), `refs/heads/${branch}`, commit.toLowerCase()]);
}

/** The unix seconds an `X-Timestamp` header names, or null when it is not a plain count of seconds. */
export function parseTimestamp(header: unknown): number | null {
  return typeof header === "string" && /^\d{1,12}$/.test(header) ? Number(header) : null;
}

/** Whether a signed timestamp is close enough to now that its delivery is not a stale (captured) one. */
export function isFresh(unixSeconds: number, nowMs = Date.now()): boolean {
  return Math.abs(nowMs / 1000 - unixSeconds) <= TIMESTAMP_TOLERANCE_SECONDS;
}

/** What a delivery asks to deploy: a repository's branch, at a commit when the sender names one. */
export interface PushTarget {
  readonly repository: string;
  readonly branch: string;
  readonly commit?: string;
}

/** The pull-request actions that deploy a preview of the head commit; `closed` (merged or not) destroys it. */
export const PREVIEW_ACTIONS = ["opened", "reopened", "synchronize", "closed"] as const;

/** What a pull-request delivery asks: deploy its head commit as a preview, or (`closed`) destroy that preview. */
export interface PullRequestTarget {
  /** The base repository (`owner/name`): the one rules name. */
  readonly repository: string;
  readonly number: number;
  readonly action: (typeof PREVIEW_ACTIONS)[number];
  /** The head commit (hex). */
  readonly commit: string;
  /** Whether the head commit lives in another repository than the base (a fork). */
  readonly fork: boolean;
  /** Whether a `closed` pull request was merged. */
  readonly merged: boolean;
}

/** What a delivery means: a push to deploy, a pull request's preview to deploy or destroy, or why nothing happens. */
export type DeliveryMeaning = { readonly target: PushTarget } | { readonly pullRequest: PullRequestTarget } | { readonly ignored: string };

const githubPushSchema = z.object({
  ref: z.string().min(1).max(300),
  // A deletion's `after` is all zeros; it is never used then.
  after: z.string().regex(/^[0-9a-f]{40,64}$/),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string().min(1).max(200) }),
});

const githubPullRequestSchema = z.object({
  action: z.string().min(1).max(64),
  number: z.number().int().positive(),
  repository: z.object({ full_name: z.string().min(1).max(200) }),
  pull_request: z.object({
    merged: z.boolean().nullish(),
    head: z.object({
      sha: z.string().regex(/^[0-9a-f]{40,64}$/),
      // null when the fork it came from was deleted: still not the base repository.
      repo: z.object({ full_name: z.string().min(1).max(200) }).nullable(),
    }),
  }),
});

/** The JSON body of a generic hook's pull request (a relay of GitLab's or Bitbucket's merge request events). */
export const genericPullRequestSchema = z.object({
  repository: z.string().min(1).max(200),
  number: z.number().int().positive().max(1_000_000_000),
  head_commit: z.string().regex(/^[0-9a-fA-F]{7,64}$/),
  action: z.enum(PREVIEW_ACTIONS),
  fork: z.boolean().default(false),
  merged: z.boolean().default(false),
});

/**
 * What a generic hook's JSON body means: a pull request when it names a `number`, else a push; null when it is
 * neither shape.
 */
export function genericMeaning(payload: unknown): DeliveryMeaning | null {
  if (payload !== null && typeof payload === "object" && "number" in payload) {
    const pullRequest = genericPullRequestSchema.safeParse(payload);
    if (!pullRequest.success) return null;
    const { repository, number, head_commit: commit, action, fork, merged } = pullRequest.data;
    return { pullRequest: { repository, number, action, commit: commit.toLowerCase(), fork, merged } };
  }
  const push = genericPayloadSchema.safeParse(payload);
  return push.success ? { target: push.data } : null;
}

/** The JSON body of a generic hook. */
export const genericPayloadSchema = z.object({
  repository: z.string().min(1).max(200),
  branch: z.string().min(1).max(200),
  commit: z.string().regex(/^[0-9a-fA-F]{7,64}$/).optional(),
});

/** The JSON a delivery carries: a JSON body, or GitHub's form encoding (`payload=<json>`); null when it is neither. */
export function deliveryJson(body: Buffer, contentType: unknown, formAllowed: boolean): unknown {
  const type = typeof contentType === "string" ? contentType.split(";")[0]!.trim().toLowerCase() : "";
  let text: string | null = null;
  if (type === "application/json") text = body.toString("utf8");
  else if (formAllowed && type === "application/x-www-form-urlencoded") text = new URLSearchParams(body.toString("utf8")).get("payload");
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** What a GitHub delivery of `event` means; null when a push's or pull request's payload is not one. */
export function githubMeaning(event: string, payload: unknown): DeliveryMeaning | null {
  if (event === "ping") return { ignored: "ping: the hook is set up; nothing is queued" };
  if (event === "pull_request") return githubPullRequestMeaning(payload);
  if (event !== "push") return { ignored: `event '${event}': only push and pull_request events deploy; nothing is queued` };
  const push = githubPushSchema.safeParse(payload);
  if (!push.success) return null;
  const { ref, after, deleted, repository } = push.data;
  if (!ref.startsWith("refs/heads/")) return { ignored: `ref '${ref}' is not a branch; nothing is queued` };
  const branch = ref.slice("refs/heads/".length);
  if (deleted === true) return { ignored: `branch '${branch}' was deleted; nothing is queued` };
  return { target: { repository: repository.full_name, branch, commit: after } };
}

function githubPullRequestMeaning(payload: unknown): DeliveryMeaning | null {
  const parsed = githubPullRequestSchema.safeParse(payload);
  if (!parsed.success) return null;
  const { action, number, repository, pull_request: pr } = parsed.data;
  if (!(PREVIEW_ACTIONS as readonly string[]).includes(action)) return { ignored: `pull request #${number} ${action}: only opened, reopened, synchronize and closed change its preview; nothing is queued` };
  const base = repository.full_name;
  const fork = pr.head.repo === null || pr.head.repo.full_name.toLowerCase() !== base.toLowerCase();
  return { pullRequest: { repository: base, number, action: action as PullRequestTarget["action"], commit: pr.head.sha, fork, merged: pr.merged === true } };
}

/**
 * The rules of `ruleSource` that deploy pull requests of `repository` (`pull_requests: true`), in configuration order,
 * its name compared as `matchingRules` does.
 */
export function pullRequestRules(rules: readonly HookRule[], ruleSource: string, repository: string): HookRule[] {
  const sameRepository = (configured: string) => (ruleSource === "github" ? configured.toLowerCase() === repository.toLowerCase() : configured === repository);
  return rules.filter((rule) => rule.source === ruleSource && rule.pull_requests && sameRepository(rule.repository));
}

/**
 * The rules of `ruleSource` for the target's repository and branch, in configuration order. GitHub's repository
 * names ignore case (as GitHub does); a generic hook's are compared as written.
 */
export function matchingRules(rules: readonly HookRule[], ruleSource: string, target: PushTarget): HookRule[] {
  const sameRepository = (configured: string) =>
    ruleSource === "github" ? configured.toLowerCase() === target.repository.toLowerCase() : configured === target.repository;
  return rules.filter((rule) => rule.source === ruleSource && sameRepository(rule.repository) && rule.branch !== undefined && rule.branch === target.branch);
}

/** A rule's request ready to queue, or why not: the error object for the sender, and the detail for the operator. */
export type RuleRequest =
  | { readonly ok: true; readonly request: Record<string, unknown> }
  | { readonly ok: false; readonly failure: FailureResult; readonly detail: string };

/** Where a rule's request takes its content from, and which environment it deploys. */
export interface RuleRequestOptions {
  /**
   * The commit's files, fetched and unpacked: the request's `source` is read relative to this repository root and must
   * stay inside it. Without it, a relative `source` resolves against the request file's directory on the service.
   */
  readonly checkoutDir?: string;
  /** The pull request whose preview this deploys: environment `preview-pr-<number>`, version name the commit's. */
  readonly pullRequest?: number;
}

/** How a rule is named to the sender: by its repository and its branch, or its pull requests. */
export function ruleName(rule: HookRule, pullRequest?: number): string {
  return pullRequest !== undefined || rule.branch === undefined ? `the pull-request rule for ${rule.repository}` : `the rule for ${rule.repository} branch '${rule.branch}'`;
}

/**
 * The deployment request `rule` queues for `commit`: its file (JSON or YAML), with `version_name` set to the commit's
 * first 12 characters when the file sets none (always, for a preview), and a relative `source` resolved against the
 * file's directory (as the CLI does) or, with `checkoutDir`, against the commit's repository root. The source and
 * secret references must be granted to the request's project (a source from a checkout: inside the checkout);
 * otherwise the answer names the rule, never a path nor the detail, which only the operator gets. Planning it is its
 * acceptance's job (`acceptDeployment`), which plans each request once.
 */
export async function ruleRequest(rule: HookRule, commit: string | undefined, grants: ServiceGrants, options: RuleRequestOptions = {}): Promise<RuleRequest> {
  const refuse = (problem: string, detail: string): RuleRequest => ({
    ok: false,
    failure: failure("plan", `the deployment request of ${ruleName(rule, options.pullRequest)} ${problem}`, "Ask the service's operator to fix the rule's request file; the delivery's outcome is recorded."),
    detail,
  });
  const text = await readFile(rule.requestFile, "utf8").catch(() => null);
  if (text === null) return refuse("cannot be read", "request file: cannot be read");
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    return refuse("is not valid JSON or YAML", "request file: not valid JSON or YAML");
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) return refuse("is not an object", "request file: not an object");
  const request: Record<string, unknown> = { ...(document as Record<string, unknown>) };
  if (options.checkoutDir !== undefined && typeof request.source === "string") {
    const inside = sourceInCheckout(options.checkoutDir, request.source);
    if (inside === null) return refuse("names a source outside the repository", "source: not a path inside the repository's root");
    request.source = inside;
  } else if (typeof request.source === "string") request.source = path.resolve(path.dirname(rule.requestFile), request.source);
  // A configuration mistake must not publish a file or secret the project is not granted any more than a caller may.
  const projectId = typeof request.project_id === "string" ? request.project_id : null;
  const grant = grants.grantFor(projectId);
  const refusedReference = refusedSecret(request.secrets, projectId, grant, grants.baseDir);
  if (refusedReference) return refuse("names a secret reference its project is not granted", refusedReference.reason);
  // A checkout's source is the commit's own content, checked against the checkout when it is accepted.
  if (options.checkoutDir === undefined && request.source !== undefined && "status" in (await grantedSource(request.source, grant, grants.baseDir))) {
    return refuse("names a source outside the directories this service may read for its project", "source: outside the project's granted sources, or missing");
  }
  if (options.pullRequest !== undefined) {
    const environment = request.environment !== null && typeof request.environment === "object" && !Array.isArray(request.environment) ? request.environment : {};
    request.environment = { ...environment, ENV: "preview", NAME: `pr-${options.pullRequest}` };
    if (commit !== undefined) request.version_name = commit.slice(0, 12).toLowerCase();
  }
  if (request.version_name === undefined && commit !== undefined) request.version_name = commit.slice(0, 12).toLowerCase();
  return { ok: true, request };
}

/** The project a rule's request file names (`project_id`), or null when the file cannot be read or names none. */
export async function ruleProjectId(rule: HookRule): Promise<string | null> {
  const text = await readFile(rule.requestFile, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const document = parseYaml(text) as { project_id?: unknown } | null;
    const id = document !== null && typeof document === "object" ? document.project_id : undefined;
    return typeof id === "string" && identifierSchema.safeParse(id).success ? id : null;
  } catch {
    return null;
  }
}

/**
 * `source` as a path inside the checkout `root` (relative to the repository's root; a leading `/` means that root
 * too), or null when it would leave it. Links inside the checkout are refused when it is unpacked.
 */
export function sourceInCheckout(root: string, source: string): string | null {
  if (source.includes("\0") || source.length > 4096) return null;
  const resolved = path.resolve(root, `.${path.sep}${source.replace(/^\/+/, "")}`);
  const relative = path.relative(root, resolved);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative)) ? resolved : null;
}
