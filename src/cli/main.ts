import { parseArgs } from "node:util";
import { COMMANDS } from "./commands/index";
import { COMMON_FLAGS, type CliCommand, type CliContext, type CommandOutput, type FlagSpec } from "./command";

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
    "Run 'deployment-planner <command> --help' for a command's flags.",
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
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(helpText() + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "version") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require("../../package.json") as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`deployment-planner: unknown command '${name}'\n\n${helpText()}\n`);
    return 2;
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...command.flags, ...COMMON_FLAGS },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`deployment-planner ${name}: ${(error as Error).message}\n\n${commandHelp(command)}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(commandHelp(command) + "\n");
    return 0;
  }

  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const context: CliContext = { stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, cwd: io.cwd, env: io.env, signal: abort.signal };
  let output: CommandOutput;
  try {
    output = await command.run(
      { positionals: parsed.positionals, flags: parsed.values as Record<string, string | boolean | undefined> },
      context,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (parsed.values.json) {
    io.stdout.write(JSON.stringify(output.json, null, 2) + "\n");
  } else {
    io.stdout.write(output.text.endsWith("\n") ? output.text : output.text + "\n");
  }
  return output.exitCode;
}

function defaultIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}
