import type { Readable, Writable } from "node:stream";
import type { CommandExitCode } from "./exit-codes";

/** What the CLI's entry point hands a command. */
export interface CliContext {
  readonly stdin: Readable;
  /** Progress lines go here, so that `--json` keeps stdout to one object. */
  readonly stderr: Writable;
  /** For commands that stream their output as it comes (`logs --follow`); the result object is printed after. */
  readonly stdout?: Writable;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
}

/** Parsed command line of one command: its positionals and its flags. */
export interface CommandArgs {
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

/** What a command returns; the entry point prints it as JSON or as text and exits with `exitCode`. */
export interface CommandOutput {
  /** One of `EXIT_CODES`: success, an internal error, invalid input or an operational failure, or (status) nothing serves. */
  readonly exitCode: CommandExitCode;
  /** The machine-readable result printed with `--json`. */
  readonly json: unknown;
  /** The result for a person. */
  readonly text: string;
}

/** Declaration of a flag, in the shape `node:util` `parseArgs` takes. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly description: string;
}

/** A CLI command: a plain async function plus what `--help` shows. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Usage line after the program name, e.g. `plan <file|-> [--json] [--explain]`. */
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  run(args: CommandArgs, context: CliContext): Promise<CommandOutput>;
}

/** Flags every command accepts. */
export const COMMON_FLAGS = {
  json: { type: "boolean", description: "Print one JSON object on stdout and nothing else." },
  help: { type: "boolean", short: "h", description: "Show this command's help." },
} as const satisfies Record<string, FlagSpec>;
