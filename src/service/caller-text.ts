import os from "node:os";
import path from "node:path";

/** Where the service's own directories are; each becomes a neutral word in what a caller receives. */
export interface MachineDirs {
  /** Directories a request's source may name: a path inside one is answered relative to it (`.` for itself). */
  readonly sourceRoots?: readonly string[];
  /** The workspace (stack state, the embedded database, engine logs). */
  readonly workspace?: string;
  /** The directory of the service's configuration file. */
  readonly configDir?: string;
}

/** Characters of a path segment as the service's messages write them. */
const SEGMENT = String.raw`[\w.@%+=~-]`;

/**
 * An absolute path of two or more segments: a `/` not inside a word, a relative path or a URL (`http://host/x` keeps
 * its path), and not one of the API's own routes, which hints name on purpose (`/v1/...`, `/events`), nor the path a
 * caller's unknown route named ("no route GET /v2/x").
 */
const ABSOLUTE_PATH = new RegExp(String.raw`(?<![\w.~:/\\#-])(?<!\bno route [A-Z]{3,7} )/(?!v1/)${SEGMENT}+(?:/${SEGMENT}*)+`, "g");
const FILE_URL = /\bfile:\/\/[^\s"'<>),;]*/g;
const HOME_PATH = new RegExp(String.raw`(?<![\w.~/-])~/(?:${SEGMENT}+/?)*`, "g");
/** A file mode as messages write it: "(mode 0640)", "with mode 0600", "mode 600". */
const MODE = [/\s*\(mode 0?[0-7]{3}\)/g, /\s+with mode 0?[0-7]{3}\b/g, /\bmode 0?[0-7]{3}\b/g, /\bchmod 0?[0-7]{3}\b/g] as const;
/** A stack trace's frames: "    at fn (file:line:col)". */
const STACK_FRAME = /\n\s*at [^\n]*/g;

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Scrubs text and JSON values for a remote caller. */
export interface CallerText {
  /** `text` with every path, file mode and stack frame of this machine replaced by a neutral word. */
  text(text: string): string;
  /** `value` with `text` applied to every string in it (keys included), for JSON a caller receives. */
  value<T>(value: T): T;
}

/**
 * The boundary between the service and a remote caller: what the service sends a caller (responses, events, stored
 * results, notifications) names what the caller sent and what to change, never where things live on this machine.
 * Source paths become relative to their source root; the workspace, the configuration's directory, the home
 * directory, the temporary directory and the package's own directory become a word; any other absolute path becomes
 * `<path>`; file modes and stack frames are dropped. The operator's log keeps the full text.
 */
export function callerText(dirs: MachineDirs = {}): CallerText {
  const named: { dir: string; word: string | null }[] = [];
  const add = (dir: string | undefined, word: string | null) => {
    if (!dir || !path.isAbsolute(dir) || dir === path.sep) return;
    named.push({ dir: path.resolve(dir), word });
  };
  for (const root of dirs.sourceRoots ?? []) add(root, null);
  add(dirs.workspace, "<workspace>");
  add(dirs.configDir, "<service config>");
  add(path.resolve(__dirname, "..", ".."), "<service install>");
  add(os.homedir(), "<home>");
  add(os.tmpdir(), "<tmp>");
  // The longest first, so a source root inside the temporary directory is answered relative to itself.
  named.sort((a, b) => b.dir.length - a.dir.length);
  const patterns = named.map(({ dir, word }) => ({ pattern: new RegExp(`${escaped(dir)}((?:/${SEGMENT}*)*)`, "g"), word }));

  const text = (input: string): string => {
    let out = input.replace(STACK_FRAME, "").replace(FILE_URL, "<path>");
    for (const { pattern, word } of patterns) {
      out = out.replace(pattern, (whole, rest: string, offset: number, all: string) => {
        // Only where the directory itself ends: /srv/app is not /srv/apple.
        if (offset > 0 && /[\w.-]/.test(all[offset - 1]!)) return whole;
        return word ?? (rest.replace(/^\/+/, "").replace(/\/+$/, "") || ".");
      });
    }
    out = out.replace(HOME_PATH, "<home>").replace(ABSOLUTE_PATH, "<path>");
    for (const mode of MODE) out = out.replace(mode, "");
    return out;
  };
  const value = <T>(input: T, depth = 0): T => {
    if (typeof input === "string") return text(input) as T;
    if (depth > 100 || typeof input !== "object" || input === null) return input;
    if (Array.isArray(input)) return input.map((item) => value(item, depth + 1)) as T;
    // Only plain JSON objects; anything else (a Date, a Buffer) serializes as it would have.
    const prototype = Object.getPrototypeOf(input);
    if (prototype !== Object.prototype && prototype !== null) return input;
    return Object.fromEntries(Object.entries(input).map(([key, item]) => [text(key), value(item, depth + 1)])) as T;
  };
  return { text, value: (input) => value(input) };
}
