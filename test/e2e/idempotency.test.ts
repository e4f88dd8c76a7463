import { cp } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planAndDeploy, destroyStack, stackHistory } from "../../src/automation/index";
import { createTestWorkspace, uniqueId, type TestWorkspace } from "../support/engine";

const REPO = path.resolve(__dirname, "..", "..");

describe("planAndDeploy with an idempotency key", () => {
  let t: TestWorkspace;
  let request: Record<string, unknown>;

  beforeEach(async () => {
    t = await createTestWorkspace("dp-idem-");
    const source = path.join(t.root, "site");
    await cp(path.join(REPO, "examples", "apps", "static-site"), source, { recursive: true });
    request = {
      project_id: uniqueId("idem"),
      deployment_type: "static_site",
      tech_stack: ["HTML"],
      target: "local",
      environment: { ENV: "development" },
      source,
      version_name: "v1",
    };
  });

  afterEach(async () => {
    await destroyStack(`${request.project_id}.development`, { workspace: t.workspace, removeStack: true }).catch(() => undefined);
    await t.cleanup();
  });

  it("runs the engine once for concurrent and repeated calls with one key, and returns the first result to each", async () => {
    const options = { workspace: t.workspace, env: t.env, idempotencyKey: "deploy-7f3c2a" };
    const [first, concurrent] = await Promise.all([planAndDeploy(request, options), planAndDeploy({ ...request }, options)]);
    expect(first.status).toBe("success");
    expect(concurrent).toEqual(first);

    const started = Date.now();
    // Key order does not make a different request.
    const repeated = await planAndDeploy(Object.fromEntries(Object.entries(request).reverse()), options);
    expect(repeated).toEqual(first);
    expect(Date.now() - started).toBeLessThan(2000);
    const history = await stackHistory(`${request.project_id}.development`, { workspace: t.workspace });
    expect(history.filter((entry) => entry.kind === "update")).toHaveLength(1);
  });

  it("refuses the same key with a different request, and a malformed key, changing nothing", async () => {
    const options = { workspace: t.workspace, env: t.env, idempotencyKey: "deploy-91bd0e" };
    expect((await planAndDeploy(request, options)).status).toBe("success");
    const other = await planAndDeploy({ ...request, version_name: "v2" }, options);
    expect(other).toMatchObject({ status: "error", stage: "validation", reason: "idempotencyKey: this key was already used with a different request" });
    const malformed = await planAndDeploy(request, { ...options, idempotencyKey: "has spaces in it" });
    expect(malformed).toMatchObject({ status: "error", stage: "validation" });
    const history = await stackHistory(`${request.project_id}.development`, { workspace: t.workspace });
    expect(history).toHaveLength(1);
  });

  it("runs again once the window has passed", async () => {
    const options = { workspace: t.workspace, env: t.env, idempotencyKey: "deploy-window", idempotencyWindowMs: 1 };
    const first = await planAndDeploy(request, options);
    expect(first.status).toBe("success");
    await new Promise((resolve) => setTimeout(resolve, 10));
    // A new run, not the kept result: the stack already serves the request, so it answers converged on update 1.
    const again = await planAndDeploy(request, options);
    expect(again).toMatchObject({ status: "success", version: 1, converged: true });
    expect(first).not.toHaveProperty("converged");
    // Asked to refresh, the run after the window runs the engine: update 2.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await planAndDeploy(request, { ...options, refresh: true })).toMatchObject({ status: "success", version: 2 });
  });
});
