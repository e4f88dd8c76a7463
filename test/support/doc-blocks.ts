import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Languages of the fenced blocks that hold shell commands. */
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console"]);
/** Languages of a fenced block that quotes what the shell block before it prints. */
const OUTPUT_LANGUAGES = new Set(["", "text", "json", "output"]);

/** One command of a documented shell block, continuation lines joined, its comment dropped. */
export interface DocCommand {
  readonly text: string;
  /** 1-based line of the documentation file where the command starts. */
  readonly line: number;
  /** Output lines the documentation quotes for it (a console block's lines under it, or the output block after). */
  readonly output: readonly string[];
}

/** One fenced shell block of the README or a page under docs/. */
export interface DocBlock {
  /** Path relative to the repository, e.g. `docs/versions.md`. */
  readonly file: string;
  readonly line: number;
  readonly language: string;
  readonly commands: readonly DocCommand[];
  /** `<file>: <first command up to its first flag>` (see `commandKey`): stable while that command keeps its words. */
  readonly key: string;
}

/** The README and every page under docs/, relative to the repository. */
export function documentationFiles(repo: string): string[] {
  return ["README.md", ...readdirSync(path.join(repo, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

interface Fence {
  readonly language: string;
  readonly line: number;
  readonly lines: string[];
  /** Lines of prose between the end of the previous fence and this one. */
  readonly before: string[];
}

/** Fenced blocks of a Markdown text, each with its language, its lines (the fence's indentation removed) and the prose before it. */
function fences(text: string): Fence[] {
  const found: Fence[] = [];
  let prose: string[] = [];
  let open: { language: string; line: number; indent: number; lines: string[]; before: string[] } | null = null;
  text.split("\n").forEach((raw, index) => {
    if (open === null) {
      const start = /^(\s*)```([\w-]*)\s*$/.exec(raw);
      if (start) {
        open = { language: start[2]!, line: index + 1, indent: start[1]!.length, lines: [], before: prose };
        prose = [];
      } else prose.push(raw);
      return;
    }
    if (/^\s*```\s*$/.test(raw)) {
      found.push({ language: open.language, line: open.line, lines: open.lines, before: open.before });
      open = null;
      return;
    }
    open.lines.push(raw.slice(Math.min(open.indent, raw.length - raw.trimStart().length)));
  });
  return found;
}

/** A shell line without its trailing `# comment` (a `#` inside quotes or a word is kept). */
export function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i]!;
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** Commands of a shell block: `$ ` lines and the output under them in a console block, every line otherwise. */
function commandsOf(fence: Fence): { text: string; line: number; output: string[] }[] {
  const commands: { text: string; line: number; output: string[] }[] = [];
  const isConsole = fence.language === "console";
  let pending: { text: string; line: number } | null = null;
  fence.lines.forEach((raw, index) => {
    const line = fence.line + 1 + index;
    if (pending) {
      const part = withoutComment(raw).trim();
      pending.text = `${pending.text} ${part.replace(/\\$/, "").trim()}`.trim();
      if (!part.endsWith("\\")) {
        commands.push({ ...pending, output: [] });
        pending = null;
      }
      return;
    }
    if (isConsole && !raw.startsWith("$ ")) {
      // Output lines belong to the command above them.
      if (commands.length > 0 && raw.trim() !== "") commands[commands.length - 1]!.output.push(raw.trimEnd());
      return;
    }
    const text = withoutComment(isConsole ? raw.slice(2) : raw).trim();
    if (text === "") return;
    if (text.endsWith("\\")) pending = { text: text.slice(0, -1).trim(), line };
    else commands.push({ text, line, output: [] });
  });
  if (pending) commands.push({ ...(pending as { text: string; line: number }), output: [] });
  return commands;
}

/**
 * `<file>: <command>` with the command cut before its first flag (`npx deployment-planner serve --port 8080` is
 * `npx deployment-planner serve`), so that a changed or added flag keeps the key; a command without flags is whole.
 */
export function commandKey(file: string, command: string): string {
  const words = command.split(" ");
  const flag = words.findIndex((word, i) => i > 0 && /^-/.test(word));
  return `${file}: ${(flag < 0 ? words : words.slice(0, flag)).join(" ")}`;
}

/**
 * Every fenced shell block (sh, bash, shell, console) of the README and docs/. A shell block's quoted output is the
 * output block right after it (text, json or no language) when no heading and at most a short paragraph stand between
 * them; it belongs to the block's last command.
 */
export function documentedShellBlocks(repo: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of documentationFiles(repo)) {
    const all = fences(readFileSync(path.join(repo, file), "utf8"));
    all.forEach((fence, index) => {
      if (!SHELL_LANGUAGES.has(fence.language)) return;
      const commands = commandsOf(fence);
      if (commands.length === 0) return;
      const next = all[index + 1];
      const prose = next?.before.filter((l) => l.trim() !== "") ?? [];
      if (next && OUTPUT_LANGUAGES.has(next.language) && prose.length <= 3 && !prose.some((l) => /^\s*#/.test(l))) {
        commands[commands.length - 1]!.output.push(...next.lines.filter((l) => l.trim() !== "").map((l) => l.trimEnd()));
      }
      blocks.push({ file, line: fence.line, language: fence.language, commands, key: commandKey(file, commands[0]!.text) });
    });
  }
  return blocks;
}

/**
 * Placeholders a documented output line may use for what changes from run to run, each matching only its own kind of
 * value. Any other text, `<...>` included, must appear as written.
 */
export const OUTPUT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  "<port>": "\\d{2,5}",
  "<time>": "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{3})?Z",
  "<duration>": "\\d+(?:\\.\\d+)?(?:ms|s)",
  "<release>": "[0-9a-z]{8,32}",
  "<digest>": "sha256:[0-9a-f]{64}",
  "<short-digest>": "[0-9a-f]{12}",
  "<user>": escapeRegExp(os.userInfo().username),
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A documented output line as a whole-line pattern, its placeholders replaced by what each accepts. */
export function outputLinePattern(line: string): RegExp {
  const names = Object.keys(OUTPUT_PLACEHOLDERS).map(escapeRegExp).join("|");
  const pattern = line
    .split(new RegExp(`(${names})`))
    .map((part) => OUTPUT_PLACEHOLDERS[part] ?? escapeRegExp(part))
    .join("");
  return new RegExp(`^${pattern}$`);
}

/** A line with its column alignment dropped: runs of spaces after its indentation become one, trailing ones none. */
function alignment(line: string): string {
  const indent = /^\s*/.exec(line)![0];
  return indent + line.slice(indent.length).trimEnd().replace(/ {2,}/g, " ");
}

/**
 * The documented lines that the real output does not show, in order: each documented line must match a whole line of
 * the output (column alignment aside: tables pad to their widest value), after the line the previous one matched. Empty when the output shows them all.
 */
export function missingOutputLines(actual: string, documented: readonly string[]): string[] {
  const lines = actual.split("\n").map(alignment);
  const missing: string[] = [];
  let from = 0;
  for (const expected of documented) {
    const pattern = outputLinePattern(alignment(expected));
    const at = lines.findIndex((l, i) => i >= from && pattern.test(l));
    if (at < 0) missing.push(expected);
    else from = at + 1;
  }
  return missing;
}
