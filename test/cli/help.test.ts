import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMON_FLAGS, type FlagSpec } from "../../src/cli/command";
import { COMMANDS } from "../../src/cli/commands/index";
import { runCliInProcess } from "../support/in-process-cli";

const REPO = path.resolve(__dirname, "..", "..");

const run = runCliInProcess;

/** Every flag name the CLI's modules read from a parsed command line (`flags.name` or `flags["name"]`). */
function flagsReadBySource(): Map<string, string[]> {
  const dir = path.join(REPO, "src", "cli");
  const files = [...readdirSync(dir).map((f) => path.join(dir, f)), ...readdirSync(path.join(dir, "commands")).map((f) => path.join(dir, "commands", f))];
  const read = new Map<string, string[]>();
  for (const file of files.filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/\bflags(?:\.([a-zA-Z][\w]*)|\["([a-z][\w-]*)"\])/g)) {
      const name = match[1] ?? match[2]!;
      read.set(name, [...(read.get(name) ?? []), path.relative(REPO, file)]);
    }
  }
  return read;
}

describe("help for every command and every flag", () => {
  it.each(COMMANDS.map((command) => [command.name, command] as const))("%s --help describes each flag it takes", async (_name, command) => {
    const help = await run([command.name, "--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout.split("\n")[0]).toBe(`Usage: deployment-planner ${command.usage}`);
    expect(help.stdout).toContain(command.summary);
    const flags: Record<string, FlagSpec> = { ...command.flags, ...COMMON_FLAGS };
    for (const [name, spec] of Object.entries(flags)) {
      const line = help.stdout.split("\n").find((l) => l.trimStart().startsWith(`--${name} `));
      expect(line, `--${name} in '${command.name} --help'`).toBeDefined();
      // A flag that takes a value says so; its description is a sentence of its own, not a bare name.
      expect(line!.includes("<value>"), `--${name} <value>`).toBe(spec.type === "string");
      expect(spec.description.split(/\s+/).length, `description of --${name}`).toBeGreaterThanOrEqual(3);
      expect(line).toContain(spec.description);
    }
    // The usage line names every flag of the command's own (the shared workspace, lock and output flags are listed
    // in the Flags section and the README's CLI reference).
    for (const name of Object.keys(command.flags).filter((f) => !["workspace", "backend", "artifact-store", "lock-wait", "database-url"].includes(f))) {
      expect(command.usage, `the usage line of ${command.name}`).toContain(`--${name}`);
    }
    // 'help <command>' answers the same.
    const viaHelp = await run(["help", command.name]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(help.stdout);
  });

  it("every flag a command module reads is one the argument parser accepts (for some command)", () => {
    const accepted = new Set([...COMMANDS.flatMap((c) => Object.keys(c.flags)), ...Object.keys(COMMON_FLAGS)]);
    const unaccepted = [...flagsReadBySource()].filter(([name]) => !accepted.has(name)).map(([name, files]) => `--${name} (${files.join(", ")})`);
    expect(unaccepted).toEqual([]);
    // The scan finds what it should: a flag every command reads, and one only serve reads.
    expect(flagsReadBySource().has("json")).toBe(true);
    expect(flagsReadBySource().has("trust-proxy")).toBe(true);
  });

  it("the general help lists every command; help for an unknown command is the general help", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command.name} +${command.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
    const unknown = await run(["help", "deploi"]);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toBe(help.stdout);
  });

  it("the README's CLI reference names every command", () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const reference = readme.slice(readme.indexOf("## CLI reference"), readme.indexOf("## The deployment service"));
    for (const command of COMMANDS) expect(reference, command.name).toMatch(new RegExp(`\\| \`${command.name}( |\`)`));
  });
});
