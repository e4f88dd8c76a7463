import { isFailure } from "../outcome";
import { closestMatches } from "../planner/names";
import { parseCommandLine } from "./arguments";
import { COMMANDS } from "./commands/index";
import { failureOutput } from "./shared";
import { EXIT_CODES, exitCodeForSignal, type ExitCode } from "./exit-codes";
import { COMMON_FLAGS, type CliCommand, type CliContext, type CommandOutput, type FlagSpec } from "./command";
import { automation } from "./load";

/** Streams and environment of one CLI run; tests pass their own. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & import("node:stream").Readable;
  readonly stdout: import("node:stream").Writable;
  readonly stderr: import("node:stream").Writable;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  const lines = [
    "deployment-planner: plan and deploy a deployment request on per-project Pulumi stacks.",
    "",
    "Usage: deployment-planner <command> [arguments] [flags]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'deployment-planner <command> --help' (or 'deployment-planner help <command>') for a command's flags.",
  ];
  return lines.join("\n");
}

function commandHelp(command: CliCommand): string {
  const flags: Record<string, FlagSpec> = { ...command.flags, ...COMMON_FLAGS };
  const width = Math.max(...Object.keys(flags).map((f) => f.length + 2));
  return [
    `Usage: deployment-planner ${command.usage}`,
    "",
    command.summary,
    "",
    "Flags:",
    ...Object.entries(flags).map(
      ([name, spec]) => `  --${name.padEnd(width)}${spec.type === "string" ? " <value>" : "        "}  ${spec.description}`,
    ),
  ].join("\n");
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code. Only
 * `bin/deployment-planner.cjs` turns that into the process's exit status.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<ExitCode> {
  const [name, ...rest] = argv;
  // `help <command>` is the same as `<command> --help`.
  const helpFor = name === "help" && rest.length === 1 ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
  if (helpFor) {
    io.stdout.write(commandHelp(helpFor) + "\n");
    return EXIT_CODES.success;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(helpText() + "\n");
    return name === undefined ? EXIT_CODES.failure : EXIT_CODES.success;
  }
  if (name === "--version" || name === "version") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require("../../package.json") as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return EXIT_CODES.success;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const suggestions = closestMatches(name, COMMANDS.map((c) => [c.name, c.name] as const), 2);
    const hint = suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(" or ")}?` : "";
    io.stderr.write(`deployment-planner: unknown command '${name.slice(0, 40)}'${hint}\n\n${helpText()}\n`);
    return EXIT_CODES.failure;
  }

  const flags: Record<string, FlagSpec> = { ...command.flags, ...COMMON_FLAGS };
  const parsed = parseCommandLine(command, rest, flags);
  if (isFailure(parsed)) {
    // One JSON object on stdout with --json; otherwise the error and the command's usage on stderr.
    if (rest.includes("--json")) io.stdout.write(JSON.stringify(parsed, null, 2) + "\n");
    else io.stderr.write(`${failureOutput(parsed).text}\n\nUsage: deployment-planner ${command.usage}\n`);
    return EXIT_CODES.failure;
  }
  if (parsed.flags.help) {
    io.stdout.write(commandHelp(command) + "\n");
    return EXIT_CODES.success;
  }

  const abort = new AbortController();
  const interrupted: { by?: "SIGINT" | "SIGTERM" } = {};
  const seen = new Set<"SIGINT" | "SIGTERM">();
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    if (seen.has(signal)) {
      // The same signal again while the first one's cleanup runs: it ends the process as it does by default.
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
      return;
    }
    seen.add(signal);
    interrupted.by = signal;
    // A command that is running has loaded the automation layer already, so the abort follows at once.
    void automation().then(({ InterruptedError }) => abort.abort(new InterruptedError(signal)));
  };
  // Listening for the whole command, not once: a library's exit hook (proper-lockfile's, through signal-exit) raises
  // the signal again when it finds itself the only listener left, which would kill the process before the cancelled
  // operation is cleaned up and its result printed.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const context: CliContext = {
    // Read only by a command that reads a request from stdin: opening process.stdin costs a few milliseconds.
    get stdin() {
      return io.stdin;
    },
    stdout: io.stdout,
    stderr: io.stderr,
    cwd: io.cwd,
    env: io.env,
    signal: abort.signal,
  };
  let output: CommandOutput;
  try {
    output = await command.run(parsed, context);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (parsed.flags.json) {
    io.stdout.write(JSON.stringify(output.json, null, 2) + "\n");
  } else {
    io.stdout.write(output.text.endsWith("\n") ? output.text : output.text + "\n");
  }
  // Work a signal cut short exits as the shell reports a signal (128 + its number: 130 for Ctrl-C, 143 for
  // SIGTERM), after it was cleaned up; a command whose normal end is a signal (serve, worker) still exits 0.
  if (interrupted.by !== undefined && output.exitCode !== EXIT_CODES.success) return exitCodeForSignal(interrupted.by);
  return output.exitCode;
}

function defaultIo(): CliIo {
  return {
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
  };
}
