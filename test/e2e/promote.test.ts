import { spawn } from "node:child_process";
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAndDeploy, stackHistory, destroyStack, promote, currentStackSpec } from "../../src/automation/index";
import { decisionConflicts } from "../../src/planner/spec-check";
import { FAST_CANARY } from "../support/requests";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "deployment-planner.cjs");

describe("promotion between environments", () => {
  let t: TestWorkspace;
  const projectId = uniqueId("promo");
  const staging = `${projectId}.staging`;
  const production = `${projectId}.production`;
  const stagingQa = `${projectId}.staging-qa`;

  beforeAll(async () => {
    t = await createTestWorkspace("dp-promote-");
  });

  afterAll(async () => {
    for (const stack of [staging, production, stagingQa, `${projectId}.development`]) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  async function deploy(env: "development" | "staging" | "production", version: string, extra: Record<string, unknown> = {}) {
    const source = path.join(t.root, `${env}-${version}`);
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    await writeFile(path.join(source, "index.html"), `<h1>${version}</h1>`);
    return planAndDeploy(
      { project_id: projectId, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: env }, source, version_name: version, ...(env === "production" ? { rollout: FAST_CANARY } : {}), ...extra },
      { workspace: t.workspace },
    ) as Promise<{ status: string; url: string; artifact_digest: string; version: number }>;
  }

  function cli(...args: string[]): Promise<{ status: number | null; result: Record<string, unknown> }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, "--workspace", t.workspace.dir, "--json"], { env: t.env, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.on("close", (status) => resolve({ status, result: JSON.parse(stdout || "{}") as Record<string, unknown> }));
    });
  }

  it("previews, then gives production staging's exact artifact while production keeps its own settings", async () => {
    const prod = await deploy("production", "p1", { ttl_hours: 500 });
    expect(prod.status).toBe("success");
    const stage = await deploy("staging", "s2");
    expect(stage.status).toBe("success");
    const before = await currentStackSpec(t.workspace, production);

    const dry = await cli("promote", projectId, "--from", "staging", "--to", "production", "--dry-run");
    expect(dry.status).toBe(0);
    expect(dry.result).toMatchObject({ status: "planned", stack: production, has_changes: true, promoted_from: { stack: staging, version: 1, version_name: "s2" } });
    expect(dry.result.stack_file_diff).toContain(stage.artifact_digest);
    // A dry run changes nothing: production still serves its own version from its own stack file.
    expect(await (await fetch(prod.url)).text()).toContain("p1");
    expect(await currentStackSpec(t.workspace, production)).toEqual(before);

    const promoted = await cli("promote", projectId, "--from", "staging", "--to", "production");
    expect(promoted.status).toBe(0);
    expect(promoted.result).toMatchObject({ status: "success", stack: production, url: prod.url, artifact_digest: stage.artifact_digest, version_name: "s2" });
    expect(await (await fetch(prod.url)).text()).toContain("s2");
    const after = await currentStackSpec(t.workspace, production);
    expect(after).toMatchObject({ environment: "production", tier: "production", protect: true, auto_rollback: true, ttl_hours: 500, artifact: { digest: stage.artifact_digest } });
    expect(decisionConflicts(after!)).toEqual([]);
    expect(after!.decisions.find((d) => d.topic === "ttl")).toEqual({ topic: "ttl", choice: "500 hours", reason: "as requested" });
    const latest = (await stackHistory(production, { workspace: t.workspace }))[0]!;
    expect(latest.message).toContain(`promote ${staging} update 1 (version s2) to ${production}`);
    expect(decisionConflicts(latest.spec!)).toEqual([]);
  });

  it("gives an environment never deployed its own tier's settings, and explanations that say so", async () => {
    const development = await deploy("development", "d1");
    expect(development.status).toBe("success");
    const promoted = await promote(projectId, { workspace: t.workspace, from: "development", to: "staging-qa" });
    expect(promoted).toMatchObject({ status: "success", stack: stagingQa, artifact_digest: development.artifact_digest, version_name: "d1" });
    expect(await (await fetch((promoted as { url: string }).url)).text()).toContain("d1");
    const spec = (await currentStackSpec(t.workspace, stagingQa))!;
    expect(spec).toMatchObject({ tier: "staging", auto_rollback: true, protect: false, resources: { memory_mb: 512, cpu: 0.5 } });
    // The stack file explains staging's settings: nothing in it still speaks of the development environment it came from.
    expect(decisionConflicts(spec)).toEqual([]);
    expect(spec.decisions.filter((d) => d.topic !== "promotion").map((d) => `${d.topic}: ${d.choice} because ${d.reason}`)).toEqual(
      expect.arrayContaining([
        "resources: 512 MiB, 0.5 vCPU, 1-2 instances because defaults for staging",
        "auto_rollback: on because staging rolls back to its previous healthy version by itself when an update fails its health check",
        "protection: unprotected because staging may be destroyed freely",
      ]),
    );
    expect(spec.decisions.map((d) => d.reason).join("\n")).not.toMatch(/(?<![\w.-])development(?![\w.-])/);
    expect(decisionConflicts((await stackHistory(stagingQa, { workspace: t.workspace }))[0]!.spec!)).toEqual([]);
  });

  it("refuses to promote a version that failed its health check in the source environment, changing nothing", async () => {
    const source = path.join(t.root, "broken");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    // Healthy for the supervisor's probe, broken by the time the planner verifies: the update succeeds, verify fails.
    await writeFile(path.join(source, "server.js"), `let n = 0; require("node:http").createServer((q, s) => { n += 1; s.statusCode = n > 1 ? 500 : 200; s.end("x"); }).listen(Number(process.env.PORT), "127.0.0.1");\n`);
    await writeFile(path.join(source, "package.json"), JSON.stringify({ name: "broken", scripts: { start: "node server.js" } }));
    const broken = await planAndDeploy(
      { project_id: projectId, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "staging" }, source, version_name: "bad", auto_rollback: false },
      { workspace: t.workspace, healthTimeoutMs: 3000 },
    );
    expect(broken).toMatchObject({ status: "error", stage: "verify" });
    const before = (await stackHistory(production, { workspace: t.workspace })).length;
    const refused = await promote(projectId, { workspace: t.workspace, from: "staging", to: "production" });
    expect(refused).toMatchObject({ status: "error", stage: "plan", reason: expect.stringContaining("failed its health check") });
    expect((await stackHistory(production, { workspace: t.workspace })).length).toBe(before);
    expect(await promote(projectId, { workspace: t.workspace, from: "staging", to: "staging" })).toMatchObject({ stage: "validation" });
  });
});
