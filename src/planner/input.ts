import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { failure, type FailureResult } from "../outcome";

/** Largest request document accepted, in bytes. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Most YAML aliases a request may expand; bounds "billion laughs" documents. */
export const MAX_YAML_ALIASES = 50;

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A request read from a file or stdin, with the directory its relative paths are resolved against. */
export interface RequestDocument {
  readonly request: unknown;
  /** Directory of the request file; null for stdin and strings (callers use their working directory). */
  readonly baseDir: string | null;
}

function invalid(reason: string, fix: string): FailureResult {
  return failure("validation", reason, fix);
}

/** Finds a key that could pollute prototypes anywhere in a parsed document. */
function forbiddenKeyPath(value: unknown, trail: string[] = [], depth = 0): string | null {
  if (depth > 64) return trail.join(".") || "request";
  if (value === null || typeof value !== "object") return null;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return [...trail, key].join(".");
    const found = forbiddenKeyPath((value as Record<string, unknown>)[key], [...trail, key], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Parses a request document (JSON or YAML). Oversized input, malformed documents, alias bombs and
 * `__proto__`/`constructor`/`prototype` keys give a failure result with stage `validation`.
 */
export function parseRequestText(text: string): { ok: true; request: unknown } | { ok: false; failure: FailureResult } {
  const outcome = parseDocument(text);
  return outcome !== null && typeof outcome === "object" && PARSE_FAILURE in outcome
    ? { ok: false, failure: (outcome as { [PARSE_FAILURE]: FailureResult })[PARSE_FAILURE] }
    : { ok: true, request: outcome };
}

const PARSE_FAILURE = Symbol("parse failure");

function parseDocument(text: string): unknown {
  const invalid = (reason: string, fix: string) => ({ [PARSE_FAILURE]: failure("validation", reason, fix) });
  if (Buffer.byteLength(text, "utf8") > MAX_REQUEST_BYTES) {
    return invalid(`request is ${Buffer.byteLength(text, "utf8")} bytes, over the ${MAX_REQUEST_BYTES}-byte limit`, "Send a request document under 1 MiB.");
  }
  if (text.trim() === "") return invalid("request is empty", "Send a JSON or YAML deployment request.");
  let parsed: unknown;
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return invalid(`request is not valid JSON: ${(error as Error).message}`, "Fix the JSON syntax (a linter or `jq .` shows where).");
    }
  } else {
    try {
      // Loaded for YAML documents only: a JSON request never pays for the YAML parser.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const YAML = require("yaml") as typeof import("yaml");
      const documents = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
      const list = Array.isArray(documents) ? documents : [documents];
      if (list.length !== 1) return invalid(`request holds ${list.length} YAML documents`, "Send exactly one request per document.");
      const document = list[0]!;
      if (document.errors.length > 0) {
        return invalid(`request is not valid YAML: ${document.errors[0]!.message.split("\n")[0]}`, "Fix the YAML syntax.");
      }
      parsed = document.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (error) {
      return invalid(`request is not valid YAML: ${(error as Error).message.split("\n")[0]}`, "Fix the YAML syntax; aliases are limited to 50 expansions.");
    }
  }
  const forbidden = forbiddenKeyPath(parsed);
  if (forbidden) return invalid(`${forbidden}: key is not allowed`, "Remove '__proto__', 'constructor' and 'prototype' keys from the request.");
  return parsed;
}

/** Reads a request from a file path or stdin (`-`), parses it, and remembers the file's directory. */
export async function readRequestDocument(
  input: string,
  options: { readonly cwd: string; readonly stdin?: Readable },
): Promise<RequestDocument | FailureResult> {
  if (input === "") return invalid("no request given", "Pass a request file, or '-' to read it from stdin.");
  let text: string;
  let baseDir: string | null = null;
  if (input === "-") {
    if (!options.stdin) return invalid("no stdin to read the request from", "Pass a request file instead of '-'.");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of options.stdin) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_REQUEST_BYTES) return invalid(`request on stdin is over the ${MAX_REQUEST_BYTES}-byte limit`, "Send a request document under 1 MiB.");
      chunks.push(buffer);
    }
    text = Buffer.concat(chunks).toString("utf8");
  } else {
    const file = path.resolve(options.cwd, input);
    const info = await stat(file).catch(() => null);
    if (!info || !info.isFile()) return invalid(`request file ${input} does not exist`, "Check the path of the request file.");
    if (info.size > MAX_REQUEST_BYTES) return invalid(`request file ${input} is ${info.size} bytes, over the ${MAX_REQUEST_BYTES}-byte limit`, "Send a request document under 1 MiB.");
    text = await readFile(file, "utf8");
    baseDir = path.dirname(file);
  }
  const parsed = parseRequestText(text);
  return parsed.ok ? { request: parsed.request, baseDir } : parsed.failure;
}
