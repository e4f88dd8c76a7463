import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LOG_LINES } from "../../src/automation/index";
import { COMMANDS } from "../../src/cli/commands/index";
import { LOG_LINES_LIMIT } from "../../src/cli/commands/logs";
import { runCliProcess } from "../support/serve-process";

// Runs the compiled CLI (`npm run build` first), each command in a fresh process, and records the modules it loaded.
const REQUEST = path.resolve(__dirname, "..", "..", "examples", "requests", "local-static-site.json");

let dir: string;
let recorder: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "cli-loading-"));
  recorder = path.join(dir, "record-modules.cjs");
  // Written at exit: every module file the process loaded.
  writeFileSync(
    recorder,
    'process.on("exit", () => require("node:fs").writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(require.cache).join("\\n")));\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with `args` and returns its exit code, output and the modules it loaded, grouped by layer. */
async function loadedBy(args: readonly string[]) {
  const list = path.join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const env = { ...process.env, NODE_OPTIONS: `--require ${recorder}`, LOADED_MODULES_FILE: list };
  const run = await runCliProcess(args, env, 120_000);
  const modules = readFileSync(list, "utf8").split("\n");
  const has = (fragment: string) => modules.some((m) => m.split(path.sep).join("/").includes(fragment));
  return {
    run,
    automation: has("/dist/automation/"),
    planner: has("/dist/planner/plan.js"),
    zod: has("/node_modules/zod/"),
    pulumiSdk: has("/node_modules/@pulumi/pulumi/"),
    httpFramework: has("/node_modules/fastify/"),
    postgres: has("/node_modules/pg/"),
  };
}

describe("each command loads only the layers it uses", () => {
  it("the command list, a command's help and a mistyped flag load no planner, automation or SDK", async () => {
    for (const args of [["--help"], ["deploy", "--help"], ["status", "--nope"]]) {
      const loaded = await loadedBy(args);
      expect(loaded.run.code, `${args.join(" ")}: ${loaded.run.stderr}`).toBe(args[1] === "--nope" ? 2 : 0);
      expect({ args, planner: loaded.planner, zod: loaded.zod, automation: loaded.automation, sdk: loaded.pulumiSdk }).toEqual({
        args,
        planner: false,
        zod: false,
        automation: false,
        sdk: false,
      });
    }
  });

  it("plan loads the planner, and neither the automation layer, the Pulumi SDK nor the service's packages", async () => {
    const loaded = await loadedBy(["plan", REQUEST, "--json"]);
    expect(loaded.run.code, loaded.run.stderr).toBe(0);
    expect(JSON.parse(loaded.run.stdout).spec.stack).toBe("example-site.development");
    expect(loaded.planner).toBe(true);
    expect({ automation: loaded.automation, sdk: loaded.pulumiSdk, http: loaded.httpFramework, pg: loaded.postgres }).toEqual({
      automation: false,
      sdk: false,
      http: false,
      pg: false,
    });
  });

  it("status on a workspace loads the automation layer, but not the Pulumi SDK (no engine runs)", async () => {
    const workspace = mkdtempSync(path.join(dir, "workspace-"));
    const loaded = await loadedBy(["status", "demo-app", "production", "--workspace", workspace]);
    // No stack of that name: a validation failure, after the workspace was opened.
    expect(loaded.run.code, loaded.run.stderr).toBe(2);
    expect(loaded.run.stdout).toContain("no stack file for demo-app.production");
    expect(loaded.automation).toBe(true);
    expect({ sdk: loaded.pulumiSdk, http: loaded.httpFramework }).toEqual({ sdk: false, http: false });
  });
});

describe("logs --lines", () => {
  it("states the automation layer's own limit in its help", () => {
    expect(LOG_LINES_LIMIT).toBe(MAX_LOG_LINES);
    const logs = COMMANDS.find((c) => c.name === "logs")!;
    expect(logs.flags.lines!.description).toContain(`at most ${MAX_LOG_LINES}`);
  });
});
