import { createHmac, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { failure, type FailureResult } from "../outcome";
import { grantedSource, refusedSecret, type ServiceGrants } from "./grants";
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

/** What a delivery means: a target to deploy, or why nothing is deployed. */
export type DeliveryMeaning = { readonly target: PushTarget } | { readonly ignored: string };

const githubPushSchema = z.object({
  ref: z.string().min(1).max(300),
  // A deletion's `after` is all zeros; it is never used then.
  after: z.string().regex(/^[0-9a-f]{40,64}$/),
  deleted: z.boolean().optional(),
  repository: z.object({ full_name: z.string().min(1).max(200) }),
});

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

/** What a GitHub delivery of `event` means; null when a push's payload is not one. */
export function githubMeaning(event: string, payload: unknown): DeliveryMeaning | null {
  if (event === "ping") return { ignored: "ping: the hook is set up; nothing is queued" };
  if (event !== "push") return { ignored: `event '${event}': only push events deploy; nothing is queued` };
  const push = githubPushSchema.safeParse(payload);
  if (!push.success) return null;
  const { ref, after, deleted, repository } = push.data;
  if (!ref.startsWith("refs/heads/")) return { ignored: `ref '${ref}' is not a branch; nothing is queued` };
  const branch = ref.slice("refs/heads/".length);
  if (deleted === true) return { ignored: `branch '${branch}' was deleted; nothing is queued` };
  return { target: { repository: repository.full_name, branch, commit: after } };
}

/**
 * The rules of `ruleSource` for the target's repository and branch, in configuration order. GitHub's repository
 * names ignore case (as GitHub does); a generic hook's are compared as written.
 */
export function matchingRules(rules: readonly HookRule[], ruleSource: string, target: PushTarget): HookRule[] {
  const sameRepository = (configured: string) =>
    ruleSource === "github" ? configured.toLowerCase() === target.repository.toLowerCase() : configured === target.repository;
  return rules.filter((rule) => rule.source === ruleSource && sameRepository(rule.repository) && rule.branch === target.branch);
}

/** A rule's request ready to queue, or why not: the error object for the sender, and the detail for the operator. */
export type RuleRequest =
  | { readonly ok: true; readonly request: Record<string, unknown> }
  | { readonly ok: false; readonly failure: FailureResult; readonly detail: string };

/**
 * The deployment request `rule` queues for `commit`: its file (JSON or YAML), with `version_name` set to the commit's
 * first 12 characters when the file sets none, and a relative `source` resolved against the file's directory (as the
 * CLI does). The source and secret references must be granted to the request's project; otherwise the answer names
 * the rule, never a path nor the detail, which only the operator gets. Planning it is its acceptance's job
 * (`acceptDeployment`), which plans each request once.
 */
export async function ruleRequest(rule: HookRule, commit: string | undefined, grants: ServiceGrants): Promise<RuleRequest> {
  const refuse = (problem: string, detail: string): RuleRequest => ({
    ok: false,
    failure: failure("plan", `the deployment request of the rule for ${rule.repository} branch '${rule.branch}' ${problem}`, "Ask the service's operator to fix the rule's request file; the delivery's outcome is recorded."),
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
  if (typeof request.source === "string") request.source = path.resolve(path.dirname(rule.requestFile), request.source);
  // A configuration mistake must not publish a file or secret the project is not granted any more than a caller may.
  const projectId = typeof request.project_id === "string" ? request.project_id : null;
  const grant = grants.grantFor(projectId);
  const refusedReference = refusedSecret(request.secrets, projectId, grant, grants.baseDir);
  if (refusedReference) return refuse("names a secret reference its project is not granted", refusedReference.reason);
  if (request.source !== undefined && "status" in (await grantedSource(request.source, grant, grants.baseDir))) {
    return refuse("names a source outside the directories this service may read for its project", "source: outside the project's granted sources, or missing");
  }
  if (request.version_name === undefined && commit !== undefined) request.version_name = commit.slice(0, 12).toLowerCase();
  return { ok: true, request };
}
