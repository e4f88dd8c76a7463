import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_CODES, exitCodeForSignal } from "../../src/cli/exit-codes";

const REPO = path.resolve(__dirname, "..", "..");

/** The README's exit-code table: each row's code and meaning. */
function readmeExitCodes(): Map<number, string> {
  const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
  const start = readme.indexOf("| exit code | meaning |");
  expect(start, "the README's exit-code table").toBeGreaterThan(0);
  const rows = new Map<number, string>();
  for (const line of readme.slice(start).split("\n").slice(2)) {
    const match = /^\| (\d+) \| (.+) \|$/.exec(line);
    if (!match) break;
    rows.set(Number(match[1]), match[2]!);
  }
  return rows;
}

/** Source files of the command: its TypeScript modules and the bin script. */
function cliSources(): string[] {
  const dir = path.join(REPO, "src", "cli");
  return [
    ...readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f)),
    ...readdirSync(path.join(dir, "commands")).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, "commands", f)),
    path.join(REPO, "bin", "deployment-planner.cjs"),
  ];
}

describe("exit codes: one source of truth, and the README lists each", () => {
  it("the README's table lists exactly the codes of EXIT_CODES, each once", () => {
    const table = readmeExitCodes();
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(Object.values(EXIT_CODES).sort((a, b) => a - b));
    expect(table.get(EXIT_CODES.notServing)).toMatch(/^`status`: /);
    expect(table.get(EXIT_CODES.interrupted)).toMatch(/Ctrl-C \(SIGINT\)/);
    expect(table.get(EXIT_CODES.terminated)).toMatch(/SIGTERM/);
  });

  it("every exit status written as a number in the CLI's sources is one of EXIT_CODES", () => {
    const known = new Set<number>(Object.values(EXIT_CODES));
    const found: string[] = [];
    for (const file of cliSources()) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/(?:process\.exit\(|process\.exitCode = |exitCode: (?:[^,}]*\? )?)(\d+)(?: : (\d+))?/g)) {
        for (const code of [match[1], match[2]].filter((c): c is string => c !== undefined)) {
          found.push(code);
          expect(known.has(Number(code)), `exit status ${code} in ${path.relative(REPO, file)}: ${match[0]}`).toBe(true);
        }
      }
    }
    // The scan sees the literals that are there (the bin's own exit for a missing build, the commands' results).
    expect(found).toContain("1");
    expect(found).toContain("0");
  });

  it("a signal's exit status is the shell's 128 + the signal's number", () => {
    expect(exitCodeForSignal("SIGINT")).toBe(128 + os.constants.signals.SIGINT);
    expect(exitCodeForSignal("SIGTERM")).toBe(128 + os.constants.signals.SIGTERM);
  });
});
