import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMON_FLAGS } from "../../src/cli/command";
import { COMMANDS } from "../../src/cli/commands/index";
import { runCliInProcess } from "../support/in-process-cli";

const REPO = path.resolve(__dirname, "..", "..");

const run = runCliInProcess;

describe("the CLI's argument errors, in the product's words", () => {
  it("names an unknown flag, suggests the closest one and lists the command's flags", async () => {
    const result = await run(["deploy", "examples/requests/local-static-site.json", "--lockwait", "3"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const [first, second] = result.stderr.split("\n");
    expect(first).toBe("error (validation): deployment-planner deploy: unknown flag '--lockwait'; did you mean '--lock-wait'?");
    expect(second).toBe(
      "fix: Use --lock-wait. deploy takes --workspace, --backend, --artifact-store, --lock-wait, --refresh, --json, --help; 'deployment-planner deploy --help' describes each.",
    );
    expect(result.stderr).toContain("Usage: deployment-planner deploy <file|->");
    // Node's own parser text (and its unbalanced quote) never reaches the user.
    expect(result.stderr).not.toMatch(/Unknown option|To specify a positional argument|-- "/);
  });

  it("answers an argument error with one JSON object on stdout under --json", async () => {
    const result = await run(["history", "site", "development", "--limt", "5", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      status: "error",
      stage: "validation",
      reason: "deployment-planner history: unknown flag '--limt'; did you mean '--limit'?",
      fix_suggestion: "Use --limit. history takes --workspace, --backend, --artifact-store, --limit, --json, --help; 'deployment-planner history --help' describes each.",
    });
  });

  it("says which flag needs a value, and what the value is", async () => {
    const missing = await run(["serve", "--port"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split("\n")[0]).toBe("error (validation): deployment-planner serve: --port needs a value");
    expect(missing.stderr).toContain("fix: Write --port <value> (port to listen on (default 8080; 0 picks a free one))");

    const swallowed = await run(["destroy", "site", "development", "--workspace", "--force"]);
    expect(swallowed.code).toBe(2);
    expect(swallowed.stderr.split("\n")[0]).toBe("error (validation): deployment-planner destroy: --workspace needs a value, but the next argument '--force' is a flag");
  });

  it("refuses a value given to a flag that takes none", async () => {
    const result = await run(["plan", "examples/requests/local-static-site.json", "--explain=yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("error (validation): deployment-planner plan: --explain takes no value, but was given 'yes'");
  });

  it("names an unknown short flag without inventing a suggestion", async () => {
    const result = await run(["list", "-x"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("error (validation): deployment-planner list: unknown flag '-x'");
    expect(result.stderr).toContain("fix: Drop -x, or write it after '--' if it is an argument rather than a flag.");
  });

  it("suggests the closest command for an unknown one", async () => {
    const result = await run(["delpoy", "x.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toBe("deployment-planner: unknown command 'delpoy'; did you mean 'deploy'?");
  });

  it("shows help when --help is on the line, even beside a mistake", async () => {
    const result = await run(["status", "--bogus", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: deployment-planner status/);
  });
});

describe("help for every flag", () => {
  for (const command of COMMANDS) {
    it(`'${command.name} --help' lists each of its flags with a one-line description, and its usage names only those`, async () => {
      const result = await run([command.name, "--help"]);
      expect(result.code).toBe(0);
      const flags = { ...command.flags, ...COMMON_FLAGS };
      for (const [name, spec] of Object.entries(flags)) {
        expect(spec.description.trim(), `--${name}`).not.toBe("");
        expect(spec.description, `--${name}`).not.toContain("\n");
        const line = result.stdout.split("\n").find((l) => l.trimStart().startsWith(`--${name} `));
        expect(line, `--${name} in '${command.name} --help'`).toBeDefined();
        expect(line).toContain(spec.description);
      }
      for (const mentioned of command.usage.match(/--[a-z][a-z-]*/g) ?? []) {
        expect(Object.keys(flags), `${mentioned} in the usage of ${command.name}`).toContain(mentioned.slice(2));
      }
    });
  }

  it("every flag the README's CLI reference names for a command is a flag of that command", () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const reference = readme.slice(readme.indexOf("## CLI reference"), readme.indexOf("\n## ", readme.indexOf("## CLI reference") + 1));
    const rows = reference.split("\n").filter((line) => /^\| `[a-z]+[ `]/.test(line));
    expect(rows.length).toBeGreaterThan(15);
    for (const row of rows) {
      const usage = /^\| `([^`]+)`/.exec(row)![1]!;
      const name = usage.split(" ")[0]!;
      const command = COMMANDS.find((c) => c.name === name);
      expect(command, `README row for '${name}'`).toBeDefined();
      const flags = Object.keys({ ...command!.flags, ...COMMON_FLAGS });
      for (const mentioned of usage.match(/--[a-z][a-z-]*/g) ?? []) expect(flags, `${mentioned} of ${name} in the README`).toContain(mentioned.slice(2));
    }
  });
});
