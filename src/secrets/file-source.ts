import { readFile, stat } from "node:fs/promises";
import { parseEnv } from "node:util";
import { resolveFilePath } from "./reference";
import { friendlySecretName, missingMessage, problem, type SecretSource, type SourceOutcome } from "./source";
import type { SecretProblem } from "./types";

/** Permission bits that let anyone but the owner read or change a file. */
const GROUP_OR_OTHER_ACCESS = 0o077;

type FileRead = { ok: true; values: Record<string, string> } | { ok: false; problem: (name: string, key: string) => SecretProblem };

/**
 * Reads `file:path#KEY` references from dotenv files (`KEY=value`, `export KEY=value`, quoted and multi-line values,
 * `#` comments — the syntax Node.js's `util.parseEnv` accepts). A file that group or others can access is refused
 * rather than read: a secret in it is already exposed, and deploying from it would hide that.
 */
export const fileSource: SecretSource<"file"> = {
  scheme: "file",
  async resolve(requests, context) {
    const reads = new Map<string, Promise<FileRead>>();
    return Promise.all(
      requests.map(async ({ name, reference }): Promise<SourceOutcome> => {
        const file = resolveFilePath(reference, context.baseDir);
        let read = reads.get(file);
        if (!read) {
          read = readDotenv(file);
          reads.set(file, read);
        }
        const result = await read;
        if (!result.ok) return { ok: false, problem: result.problem(name, reference.key) };
        const value = result.values[reference.key];
        if (value === undefined || value === "") {
          const what = friendlySecretName(name);
          return {
            ok: false,
            problem: problem("missing", name, missingMessage(name), `Add ${reference.key}=<${what === name ? "value" : what}> to ${file}`),
          };
        }
        return { ok: true, value, provenance: { name, scheme: "file", location: `${file}#${reference.key}` } };
      }),
    );
  },
};

async function readDotenv(file: string): Promise<FileRead> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      return {
        ok: false,
        problem: (name, key) => problem("missing", name, missingMessage(name), `Create ${file} with mode 0600 and a line ${key}=<value>`),
      };
    }
    return { ok: false, problem: (name) => problem("unreadable", name, `Cannot read secrets file ${file} for ${name} (${code ?? "error"})`, `Make ${file} readable by the user that deploys`) };
  }
  if (!info.isFile()) {
    return { ok: false, problem: (name) => problem("unreadable", name, `Secrets file ${file} for ${name} is not a regular file`, `Point the reference for ${name} at a dotenv file`) };
  }
  // Windows has no POSIX permission bits to check.
  if (process.platform !== "win32" && (info.mode & GROUP_OR_OTHER_ACCESS) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    return {
      ok: false,
      problem: (name) =>
        problem(
          "insecure_file",
          name,
          `Refusing to read ${name} from ${file}: the file is accessible by group or others (mode ${mode})`,
          `Run 'chmod 600 ${file}' so only its owner can read it, and rotate any secret that others could have read`,
        ),
    };
  }
  try {
    return { ok: true, values: parseEnv(await readFile(file, "utf8")) as Record<string, string> };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "parse error";
    return { ok: false, problem: (name) => problem("unreadable", name, `Cannot read secrets file ${file} for ${name} (${code})`, `Make ${file} a readable dotenv file`) };
  }
}
