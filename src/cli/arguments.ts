import { parseArgs } from "node:util";
import { failure, type FailureResult } from "../outcome";
import { closestMatches } from "../planner/names";
import type { CliCommand, CommandArgs, FlagSpec } from "./command";

/**
 * Parses a command's arguments against its flags (and the flags every command takes). Unknown flags, a missing value
 * and a value given to a flag that takes none come back as a failure result (stage `validation`) in the
 * product's words: the flag as typed, the closest known flag, and the flags the command takes.
 */
export function parseCommandLine(command: CliCommand, argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>): CommandArgs | FailureResult {
  // Non-strict parsing never throws; every token is checked here instead, so each mistake gets its own message.
  const { tokens, values, positionals } = parseArgs({ args: [...argv], options: { ...flags }, allowPositionals: true, strict: false, tokens: true });
  const parsed: CommandArgs = { positionals, flags: values as Record<string, string | boolean | undefined> };
  // Asking for help wins over a mistake on the same line: the help is what answers it.
  if (tokens.some((t) => t.kind === "option" && t.name === "help" && t.value === undefined)) return parsed;
  const known = Object.keys(flags);
  const listed = known.map((name) => `--${name}`).join(", ");
  const fix = (lead: string) => `${lead}. ${command.name} takes ${listed}; 'deployment-planner ${command.name} --help' describes each.`;
  const fail = (reason: string, lead: string) => failure("validation", `deployment-planner ${command.name}: ${reason}`, fix(lead));

  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const typed = shown(token.rawName);
    const spec = flags[token.name];
    if (!spec) {
      const suggestions = closestMatches(token.name, known.map((name) => [name, `--${name}`] as const), 2);
      const hint = suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(" or ")}?` : "";
      const lead = suggestions.length > 0 ? `Use ${suggestions[0]}` : `Drop ${typed}, or write it after '--' if it is an argument rather than a flag`;
      return fail(`unknown flag '${typed}'${hint}`, lead);
    }
    if (spec.type === "string" && token.value === undefined) {
      return fail(`--${token.name} needs a value`, `Write --${token.name} <value> (${firstSentence(spec.description)})`);
    }
    if (spec.type === "string" && !token.inlineValue && token.value !== undefined && token.value.startsWith("-") && token.value !== "-") {
      return fail(
        `--${token.name} needs a value, but the next argument '${shown(token.value)}' is a flag`,
        `Give --${token.name} its value (${firstSentence(spec.description)}); a value that starts with '-' is written --${token.name}=<value>`,
      );
    }
    if (spec.type === "boolean" && token.value !== undefined) {
      return fail(`--${token.name} takes no value, but was given '${shown(token.value)}'`, `Write --${token.name} alone (${firstSentence(spec.description)})`);
    }
  }
  return parsed;
}

/** A flag or value as the user typed it, short enough for one line. */
function shown(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The first sentence of a flag's description, without its final full stop. */
function firstSentence(description: string): string {
  const sentence = description.split(/(?<=\.)\s/)[0] ?? description;
  const trimmed = sentence.replace(/\.$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}
