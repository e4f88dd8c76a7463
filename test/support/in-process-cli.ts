import path from "node:path";
import { PassThrough } from "node:stream";
import { runCli } from "../../src/cli/main";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * Runs the CLI in this process with its own streams and an empty stdin, in the repository's root, with only PATH in
 * its environment: for argument parsing and help, which reach no engine or workspace.
 */
export async function runCliInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(argv, { stdin, stdout, stderr, cwd: REPO, env: { PATH: process.env.PATH } });
  return { code, stdout: out, stderr: err };
}
