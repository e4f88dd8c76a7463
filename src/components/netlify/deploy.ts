import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { siteFiles } from "../site-files";
import type { NetlifyClient } from "./api";

/** A file of a deploy: the path the site serves it under, its content's SHA-1 and where it is on disk. */
export interface DeployFile {
  /** Path from the site's root with `/` separators, as listed in the deploy: `assets/app.js`. */
  readonly path: string;
  readonly sha1: string;
  readonly source: string;
}

/** A deploy as Netlify answers it (the fields this product uses). */
export interface NetlifyDeploy {
  readonly id: string;
  readonly state?: string;
  readonly required?: string[];
  readonly error_message?: string;
  readonly admin_url?: string;
}

/** How long a deploy may take. */
export interface DeployOptions {
  /** Longest wait for each of Netlify's phases (diffing the files, then processing them). @default 20 minutes, as netlify/cli */
  readonly timeoutMs?: number;
  /** Time between two reads of the deploy's state. @default 1000 ms, as netlify/cli */
  readonly pollIntervalMs?: number;
}

/** A file of the bundle that Netlify cannot take, found before anything is created. */
export class NetlifyFileNameError extends Error {
  readonly code = "NETLIFY_FILE_NAME" as const;
  constructor(readonly file: string) {
    super(`the bundle file '${file}' cannot be deployed to Netlify: deployed file names cannot contain '#' or '?' (rename the file)`);
    this.name = "NetlifyFileNameError";
  }
}

/** A deploy that Netlify failed (state `error`) or that did not go live in time. */
export class NetlifyDeployError extends Error {
  readonly code = "NETLIFY_DEPLOY_FAILED" as const;
  constructor(
    message: string,
    readonly deployId: string,
    /** The deploy's last state: `error`, or the state it was still in when the wait ended. */
    readonly state: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = "NetlifyDeployError";
  }
}

// netlify/cli asks Netlify to diff a deploy in the background above this many files, then waits for the diff.
const SYNC_FILE_LIMIT = 100;
// The states in which Netlify has finished diffing and lists the files it needs (netlify/cli `waitForDiff`).
const DIFFED = new Set(["prepared", "uploading", "uploaded", "ready"]);

/**
 * Every file of the directory with its SHA-1. A name with `#` or `?` is refused, as netlify/cli refuses it: the
 * upload URL could not carry it. Call it before creating anything, so a bad bundle leaves nothing behind.
 */
export async function listDeployFiles(directory: string): Promise<DeployFile[]> {
  const files = siteFiles(directory);
  const bad = files.find((file) => /[#?]/.test(file.key));
  if (bad) throw new NetlifyFileNameError(bad.key);
  const result: DeployFile[] = [];
  for (const file of files) {
    result.push({ path: file.key, sha1: createHash("sha1").update(await readFile(file.source)).digest("hex"), source: file.source });
  }
  return result;
}

/** The upload URL's form of a file's path: percent-encoded as netlify/cli sends it (`encodeURI`, which keeps `/`). */
export function uploadPath(path: string): string {
  return encodeURI(path);
}

/**
 * Deploys the files with Netlify's file-digest protocol and returns once the deploy is live (`ready`): the deploy lists
 * every file's SHA-1, only the files Netlify does not have yet are uploaded, and the deploy is read until Netlify has
 * processed it. A deploy in state `error` fails with Netlify's `error_message`; one that does not finish in time is
 * cancelled, so it cannot go live later unseen, and fails naming its state.
 */
export async function deployFiles(api: NetlifyClient, siteId: string, files: readonly DeployFile[], options: DeployOptions = {}): Promise<{ deployId: string; uploaded: number }> {
  const site = encodeURIComponent(siteId);
  const background = files.length > SYNC_FILE_LIMIT;
  // Each create makes a new deploy, so it is never repeated after an unclear failure; the caller decides.
  const created = await api.request<NetlifyDeploy>({
    operation: "create deploy",
    kind: "append",
    method: "POST",
    path: `/sites/${site}/deploys`,
    json: { files: Object.fromEntries(files.map((file) => [file.path, file.sha1])), ...(background ? { async: true } : {}) },
  });
  try {
    // A deploy diffed in the background lists the files it needs only once it has left `preparing`.
    const diffed = background ? await waitForDeploy(api, siteId, created.id, (state) => DIFFED.has(state), "diffing the files", options) : created;
    const required = new Set(diffed.required ?? []);
    let uploaded = 0;
    for (const file of files) {
      if (!required.delete(file.sha1)) continue;
      // Uploading the same bytes to the same path again changes nothing, so uploads retry like updates.
      const raw = await readFile(file.source);
      await api.request({ operation: "upload file", kind: "update", method: "PUT", path: `/deploys/${encodeURIComponent(created.id)}/files/${uploadPath(file.path)}`, raw });
      uploaded += 1;
    }
    await waitForDeploy(api, siteId, created.id, (state) => state === "ready", "going live", options);
    return { deployId: created.id, uploaded };
  } catch (error) {
    // A deploy left half-done could still go live after this failure was reported; netlify/cli cancels it too.
    if (!(error instanceof NetlifyDeployError && error.state === "error")) {
      await api.request({ operation: "cancel deploy", kind: "update", method: "POST", path: `/deploys/${encodeURIComponent(created.id)}/cancel` }).catch(() => undefined);
    }
    throw error;
  }
}

/** Reads the deploy until `done` accepts its state; `error` fails at once, and the wait is bounded by `timeoutMs`. */
async function waitForDeploy(
  api: NetlifyClient,
  siteId: string,
  deployId: string,
  done: (state: string) => boolean,
  phase: string,
  options: DeployOptions,
): Promise<NetlifyDeploy> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const interval = options.pollIntervalMs ?? 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deploy = await api.request<NetlifyDeploy>({ operation: "read deploy", kind: "read", method: "GET", path: `/sites/${encodeURIComponent(siteId)}/deploys/${encodeURIComponent(deployId)}` });
    const state = deploy.state ?? "unknown";
    const logs = deploy.admin_url ? `; see ${deploy.admin_url}/deploys/${deployId}` : "";
    if (state === "error") {
      throw new NetlifyDeployError(`Netlify deploy ${deployId} failed (state error): ${deploy.error_message || "Netlify gave no reason"}${logs}`, deployId, state, false);
    }
    if (done(state)) return deploy;
    const left = deadline - Date.now();
    if (left <= 0) {
      const seconds = Math.round(timeoutMs / 100) / 10;
      throw new NetlifyDeployError(`Netlify deploy ${deployId} was still '${state}' after ${seconds} s of ${phase}${logs}`, deployId, state, true);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
  }
}
