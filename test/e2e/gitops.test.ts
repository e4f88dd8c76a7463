import { execFileSync, spawn } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAndDeploy, destroyStack, SPEC_CONFIG_FQ_KEY } from "../../src/automation/index";
import { decisionConflicts } from "../../src/planner/spec-check";
import { stackSpecSchema } from "../../src/planner/spec";
import { FAST_CANARY } from "../support/requests";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

describe("GitOps: promote --git, merge, sync", () => {
  let t: TestWorkspace;
  const projectId = uniqueId("gitops");
  const staging = `${projectId}.staging`;
  const production = `${projectId}.production`;

  beforeAll(async () => {
    t = await createTestWorkspace("dp-gitops-");
  });

  afterAll(async () => {
    for (const stack of [staging, production]) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  /** The git CLI in the workspace, a real repository. */
  function git(...args: string[]): string {
    return execFileSync("git", args, { cwd: t.workspace.dir, encoding: "utf8" }).trim();
  }

  async function deploy(env: string, version: string) {
    const source = path.join(t.root, `${env}-${version}`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), `<h1>${version}</h1>`);
    const result = await planAndDeploy(
      { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: env }, source, version_name: version, ...(env === "production" ? { rollout: FAST_CANARY } : {}) },
      { workspace: t.workspace },
    );
    expect(result).toMatchObject({ status: "success" });
    return result as { url: string; artifact_digest: string };
  }

  function cli(...args: string[]): Promise<{ status: number | null; result: Record<string, unknown> }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.on("close", (status) => resolve({ status, result: JSON.parse(stdout || "{}") as Record<string, unknown> }));
    });
  }

  it("commits the promotion on its own branch for review, and sync deploys it once merged", async () => {
    git("init", "-q", "-b", "main");
    git("config", "user.name", "Release Bot");
    git("config", "user.email", "release-bot@example.com");
    await writeFile(path.join(t.workspace.dir, ".gitignore"), ".pulumi-state/\n.deployment-planner/\n");
    await deploy("staging", "s1");
    const prod = await deploy("production", "p1");
    git("add", ".");
    git("commit", "-q", "-m", "initial stacks");
    const stage = await deploy("staging", "s2");
    git("commit", "-q", "-am", "staging runs s2");
    const productionFile = `stacks/Pulumi.${production}.yaml`;
    const before = await readFile(path.join(t.workspace.dir, productionFile), "utf8");

    const promoted = await cli("promote", projectId, "--from", "staging", "--to", "production", "--git");
    expect(promoted.status).toBe(0);
    expect(promoted.result).toMatchObject({ status: "committed", stack: production, promoted_from: { stack: staging, version_name: "s2" } });
    const branch = promoted.result.branch as string;
    // The message lists what differs between the two stack files, value by value, and nothing that does not.
    const changes = (promoted.result.message as string).split("\n").filter((line) => line.startsWith("- "));
    expect(changes).toContain("- version_name: p1 -> s2");
    expect(changes).toContain(`- artifact.digest: ${prod.artifact_digest} -> ${stage.artifact_digest}`);
    expect(changes).toContain("- build.source: ../production-p1 -> ../staging-s2");
    expect(changes.filter((line) => !/^- [\w.[\]]+: .+ -> .+$/.test(line) || /^- (services|env|tech_stack|deployment_type|resources|protect|rollout)\b/.test(line))).toEqual([]);
    // One commit on a new branch touching only production's stack file; nothing else moved, nothing deployed.
    expect(git("rev-list", "--count", `main..${branch}`)).toBe("1");
    expect(git("diff", "--name-only", "main", branch)).toBe(productionFile);
    expect(git("rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(git("status", "--porcelain")).toBe("");
    expect(await readFile(path.join(t.workspace.dir, productionFile), "utf8")).toBe(before);
    expect(await (await fetch(prod.url)).text()).toContain("p1");
    expect(git("branch", "-r")).toBe("");

    git("merge", "-q", "--ff-only", branch);
    const synced = await cli("sync");
    expect(synced.status).toBe(0);
    expect(synced.result.stacks).toEqual([
      { stack: staging, status: "unchanged" },
      expect.objectContaining({ stack: production, status: "deployed", result: expect.objectContaining({ artifact_digest: stage.artifact_digest, version_name: "s2" }) }),
    ]);
    expect(await (await fetch(prod.url)).text()).toContain("s2");
    // The merged file is exactly what the deploy recorded: a second sync has nothing to do, and the tree stays clean.
    expect(((await cli("sync")).result.stacks as { status: string }[]).map((s) => s.status)).toEqual(["unchanged", "unchanged"]);
    expect(git("status", "--porcelain")).toBe("");

    // A promotion into an environment with no stack file yet: the message names the new file, the version and the
    // bundle, and the committed file explains the new environment's own settings.
    const qa = `${projectId}.preview-qa`;
    const fresh = await cli("promote", projectId, "--from", "staging", "--to", "preview-qa", "--git");
    expect(fresh.status).toBe(0);
    expect(fresh.result.message).toBe(`Promote ${staging} update 2 (version s2) to ${qa}\n\nNew stack file for ${qa}:\n- version_name: s2\n- artifact.digest: ${stage.artifact_digest}\n`);
    const file = YAML.parse(git("show", `${fresh.result.branch as string}:stacks/Pulumi.${qa}.yaml`)) as { config: Record<string, unknown> };
    const committed = stackSpecSchema.parse(file.config[SPEC_CONFIG_FQ_KEY]);
    expect(committed).toMatchObject({ tier: "preview", ttl_hours: 72, auto_rollback: false, artifact: { digest: stage.artifact_digest } });
    expect(decisionConflicts(committed)).toEqual([]);
    expect(git("status", "--porcelain")).toBe("");
  });
});
