import { Writable } from "node:stream";
import type { ResolvedSecret } from "./types";

/** What a masked value is replaced with. */
export const SECRET_MASK = "[secret]";

/**
 * Values (and lines, and encodings) shorter than this are not replaced wherever they occur, only where they stand as a
 * whole token. Replacing a one- to three-character string everywhere would shred every log line (and the gaps would
 * tell the value away anyway); a value that short is not a secret worth the name, but it is still hidden where it
 * appears on its own, as in `PIN=123` or `"pin": "123"`.
 */
export const MIN_MASKED_LENGTH = 4;

/** Longest partial line a masking stream holds back while waiting for its newline. */
const MAX_PENDING_CHARS = 1024 * 1024;

/** Anything that can hide secret values in text before it is shown or stored. */
export interface TextMasker {
  mask(text: string): string;
}

/**
 * Replaces resolved secret values with `[secret]` in text: log lines, engine output that is stored, error messages
 * and CLI output. Besides each value it hides the forms a value commonly takes on its way into output — JSON string
 * escaping (with and without `\uXXXX` for non-ASCII), base64 and base64url, URL and form encoding — and each line of a
 * multi-line value on its own, since logs break values at newlines. Encodings are caught where they stand alone,
 * not when a value is a slice of a larger encoded blob.
 */
export class SecretMasker {
  private readonly anywhere = new Set<string>();
  private readonly wholeTokens = new Set<string>();
  private anywherePattern: RegExp | null | undefined;
  private tokenPattern: RegExp | null | undefined;

  constructor(values: Iterable<string> = []) {
    this.addAll(values);
  }

  /** Adds a value to hide, with its variants. Empty strings are ignored. */
  add(value: string): this {
    if (value === "") return this;
    if (value.length < MIN_MASKED_LENGTH) {
      this.wholeTokens.add(value);
    } else {
      for (const variant of variantsOf(value)) if (variant.length >= MIN_MASKED_LENGTH) this.anywhere.add(variant);
    }
    this.anywherePattern = undefined;
    this.tokenPattern = undefined;
    return this;
  }

  /** Adds several values. */
  addAll(values: Iterable<string>): this {
    for (const value of values) this.add(value);
    return this;
  }

  /** Number of distinct strings (values and variants) being hidden. */
  get size(): number {
    return this.anywhere.size + this.wholeTokens.size;
  }

  /** The text with every hidden string replaced by `[secret]`. */
  mask(text: string): string {
    if (this.size === 0 || text === "") return text;
    let masked = text;
    const anywhere = this.compiledAnywhere();
    if (anywhere) masked = masked.replace(anywhere, SECRET_MASK);
    const tokens = this.compiledTokens();
    if (tokens) masked = masked.replace(tokens, SECRET_MASK);
    return masked;
  }

  /**
   * A copy of a JSON-like value (strings, arrays, plain objects, Errors) with every string masked, for results and
   * errors that are about to be printed or stored. Object keys are masked too.
   */
  maskDeep<T>(value: T): T {
    return this.deep(value, new WeakMap()) as T;
  }

  /** A line callback that masks each line before passing it on, e.g. for Pulumi's `onOutput`. */
  wrapLines(callback: (line: string) => void): (line: string) => void {
    return (line) => callback(this.mask(line));
  }

  /**
   * A writable stream that masks what is written to it and forwards it to `target` (e.g. `process.stdout` or a log
   * file). Output is forwarded a line at a time, so a value split across two writes is still caught; the partial
   * last line is flushed when the stream ends.
   */
  wrapWritable(target: NodeJS.WritableStream): Writable {
    let pending = "";
    const forward = (text: string, callback: (error?: Error | null) => void) => {
      if (text === "") return callback();
      if (target.write(this.mask(text))) callback();
      else target.once("drain", () => callback());
    };
    return new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _encoding, callback) => {
        pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
        const cut = pending.lastIndexOf("\n");
        if (cut >= 0) {
          const complete = pending.slice(0, cut + 1);
          pending = pending.slice(cut + 1);
          return forward(complete, callback);
        }
        // A stream that never writes a newline is flushed in large pieces rather than held in memory without bound.
        if (pending.length > MAX_PENDING_CHARS) {
          const all = pending;
          pending = "";
          return forward(all, callback);
        }
        callback();
      },
      final: (callback) => {
        const rest = pending;
        pending = "";
        forward(rest, callback);
      },
    });
  }

  private compiledAnywhere(): RegExp | null {
    if (this.anywherePattern === undefined) {
      // Longest first, so a value wins over one of its own lines and nothing of it is left beside the mask.
      const sorted = [...this.anywhere].sort((a, b) => b.length - a.length);
      this.anywherePattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
    }
    return this.anywherePattern;
  }

  private compiledTokens(): RegExp | null {
    if (this.tokenPattern === undefined) {
      const sorted = [...this.wholeTokens].sort((a, b) => b.length - a.length);
      this.tokenPattern = sorted.length
        ? new RegExp(`(?<![\\p{L}\\p{N}_])(?:${sorted.map(escapeRegExp).join("|")})(?![\\p{L}\\p{N}_])`, "gu")
        : null;
    }
    return this.tokenPattern;
  }

  private deep(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === "string") return this.mask(value);
    if (value === null || typeof value !== "object") return value;
    if (seen.has(value)) return seen.get(value);
    if (value instanceof Error) {
      const copy = new Error(this.mask(value.message));
      copy.name = value.name;
      if (value.stack) copy.stack = this.mask(value.stack);
      seen.set(value, copy);
      return copy;
    }
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.deep(item, seen));
      return copy;
    }
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, item] of Object.entries(value)) copy[this.mask(key)] = this.deep(item, seen);
    return copy;
  }
}

/** A masker for the values of resolved secrets. */
export function maskerFor(secrets: readonly ResolvedSecret[]): SecretMasker {
  return new SecretMasker(secrets.map((s) => s.value));
}

/** The forms a value takes in output, the value itself first. */
export function variantsOf(value: string): string[] {
  const variants = new Set<string>([value]);
  const json = JSON.stringify(value).slice(1, -1);
  variants.add(json);
  variants.add(json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
  const base64 = Buffer.from(value, "utf8").toString("base64");
  variants.add(base64);
  variants.add(base64.replace(/=+$/, ""));
  variants.add(Buffer.from(value, "utf8").toString("base64url"));
  const url = encodeURIComponent(value);
  variants.add(url);
  variants.add(url.replace(/%20/g, "+"));
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) {
      variants.add(line);
      variants.add(line.trim());
    }
  }
  variants.delete("");
  return [...variants];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
