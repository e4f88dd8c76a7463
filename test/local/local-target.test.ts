import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  HealthCheckError,
  ProtectedStackError,
  destroyStack,
  upStack,
  openWorkspace,
} from "../../src/automation/index";
import { packageSource } from "../../src/packager/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";
import { portRefuses, processesUnder } from "../support/processes";
import { localSpec } from "../support/specs";

const REPO = path.resolve(__dirname, "..", "..");

describe("local target resources (below the planner)", () => {
  let t: TestWorkspace;
  const stacks: string[] = [];

  beforeEach(async () => {
    t = await createTestWorkspace("dp-local-");
  });

  afterEach(async () => {
    for (const stack of stacks.splice(0)) await destroyStack(stack, { workspace: t.workspace, removeStack: true, force: true }).catch(() => undefined);
    await t.cleanup();
  });

  it("serves a static bundle at a stable URL and keeps the port across a replacement", async () => {
    const source = path.join(t.root, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const spec = localSpec({ project_id: uniqueId("res"), artifact: { digest: bundle.digest, path: bundle.path } });
    const first = await upStack(spec, {}, { workspace: t.workspace });
    stacks.push(spec.stack);
    expect(first.changeSummary).toMatchObject({ create: 4 });
    const url = first.outputs.url as string;
    expect(await (await fetch(url)).text()).toContain("Deployment Planner example site");
    expect((await fetch(`${url}/missing.html`)).status).toBe(404);
    expect((await fetch(`${url}/..%2f..%2fetc/passwd`)).status).toBe(404);

    await writeFile(path.join(source, "index.html"), "<p>changed</p>");
    const next = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const second = await upStack({ ...spec, artifact: { digest: next.digest, path: next.path } }, {}, { workspace: t.workspace });
    expect(second.changeSummary).toMatchObject({ replace: 1 });
    expect(second.outputs.url).toBe(url);
    expect(await (await fetch(url)).text()).toBe("<p>changed</p>");
  });

  it("fails a release whose health check never passes, with the app's last log lines and secrets masked", async () => {
    const source = path.join(t.root, "broken");
    await cp(path.join(REPO, "examples", "apps", "node-server"), source, { recursive: true });
    await writeFile(path.join(source, "server.js"), "console.log('starting with ' + process.env.API_TOKEN); console.error('boom: cannot bind'); process.exit(3);\n");
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const secret = `tok-${Math.random().toString(36).slice(2)}-xyz`;
    const spec = localSpec({
      project_id: uniqueId("broken"),
      deployment_type: "api",
      build: { ...localSpec({ project_id: "x" }).build, kind: "node", start_command: "node server.js", health_check_path: "/healthz" },
      secrets: [{ name: "API_TOKEN", ref: "env:API_TOKEN", required_by: ["request"] }],
      artifact: { digest: bundle.digest, path: bundle.path },
    });
    stacks.push(spec.stack);
    const error = await upStack(spec, { API_TOKEN: secret }, { workspace: t.workspace, masker: { mask: (s) => s.split(secret).join("[secret]") } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HealthCheckError);
    const failure = (error as HealthCheckError).toFailure();
    expect(failure.stage).toBe("verify");
    expect(failure.reason).toContain("boom: cannot bind");
    expect(failure.reason).toContain("starting with [secret]");
    expect(failure.reason).not.toContain(secret);
    expect(await readFile(failure.log_file!, "utf8")).not.toContain(secret);
  });

  it("stops every process and frees the port on destroy", async () => {
    const source = path.join(t.root, "node");
    await cp(path.join(REPO, "examples", "apps", "node-server"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const spec = localSpec({
      project_id: uniqueId("stop"),
      build: { ...localSpec({ project_id: "x" }).build, kind: "node", start_command: "node server.js", health_check_path: "/healthz" },
      env: { GREETING: "hi there" },
      artifact: { digest: bundle.digest, path: bundle.path },
    });
    const up = await upStack(spec, {}, { workspace: t.workspace });
    stacks.push(spec.stack);
    expect(await (await fetch(up.outputs.url as string)).text()).toContain("hi there");
    expect((await processesUnder(t.root)).length).toBeGreaterThanOrEqual(2);
    await destroyStack(spec.stack, { workspace: t.workspace });
    expect(await portRefuses(Number(new URL(up.outputs.url as string).port))).toBe(true);
    expect(await processesUnder(t.root)).toEqual([]);
  });

  it("serves and stops a stack whose workspace path is too deep for a Unix socket beside its state", async () => {
    const deepDir = path.join(t.root, "a-backend-with-a-rather-long-workspace-directory-name", "deployments", "of-every-team");
    const workspace = await openWorkspace({ workspaceDir: deepDir, env: t.env, pulumiHome: t.workspace.pulumiHome, toolchain: t.workspace.toolchain });
    const source = path.join(t.root, "deep-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(workspace.dataDir, "bundles") });
    const spec = localSpec({ project_id: uniqueId("deep-workspace-project"), artifact: { digest: bundle.digest, path: bundle.path } });
    expect(Buffer.byteLength(path.join(workspace.dataDir, "local", spec.stack, "control.sock"))).toBeGreaterThan(107);

    const up = await upStack(spec, {}, { workspace });
    const url = up.outputs.url as string;
    expect(await (await fetch(url)).text()).toContain("Deployment Planner example site");
    await destroyStack(spec.stack, { workspace, removeStack: true });
    expect(await portRefuses(Number(new URL(url).port))).toBe(true);
    expect(await processesUnder(t.root)).toEqual([]);
  });

  it("refuses to destroy a protected stack without force, and destroys it with force", async () => {
    const source = path.join(t.root, "protected-site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    const bundle = await packageSource(source, { bundlesDir: path.join(t.workspace.dataDir, "bundles") });
    const spec = { ...localSpec({ project_id: uniqueId("protected"), artifact: { digest: bundle.digest, path: bundle.path } }), protect: true };
    const up = await upStack(spec, {}, { workspace: t.workspace });
    stacks.push(spec.stack);
    const url = up.outputs.url as string;

    const refused = await destroyStack(spec.stack, { workspace: t.workspace }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ProtectedStackError);
    expect((await fetch(url)).status).toBe(200);

    const destroyed = await destroyStack(spec.stack, { workspace: t.workspace, force: true });
    expect(destroyed.changeSummary).toMatchObject({ delete: 4 });
    expect(await portRefuses(Number(new URL(url).port))).toBe(true);
    expect(await processesUnder(t.root)).toEqual([]);
  });
});
