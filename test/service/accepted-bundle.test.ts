import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BUNDLE_BYTES_ENV } from "../../src/service/acceptance";
import { pruneBundles } from "../../src/service/repositories/bundles";
import { createToken } from "../../src/service/tokens";
import { uniqueId } from "../support/engine";
import { startServiceHarness, type ServiceHarness } from "../support/service";

const REPO = path.resolve(__dirname, "..", "..");

/**
 * What a deployment deploys is what the service accepted: the source is checked and packaged when the request
 * arrives, and the worker (held here until every change below is made) deploys that bundle, whatever the source
 * directory holds by then, and refuses a bundle whose bytes no longer match its digest.
 */
describe("the deployment is the bundle that was accepted", () => {
  const marker = uniqueId("accepted");
  const projects = { swap: uniqueId("swap"), edit: uniqueId("edit"), tamper: uniqueId("tamper") };
  const stacks = Object.values(projects).map((project) => `${project}.development`);
  let root = "";
  let sourceRoot = "";
  let service: ServiceHarness;
  let token = "";
  const answers: string[] = [];
  const queued: Record<keyof typeof projects, string> = { swap: "", edit: "", tamper: "" };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-accepted-"));
    sourceRoot = path.join(root, "sources");
    for (const name of Object.keys(projects)) {
      await cp(path.join(REPO, "examples", "apps", "static-site"), path.join(sourceRoot, `site-${name}`), { recursive: true });
      await writeFile(path.join(sourceRoot, `site-${name}`, "index.html"), `<!doctype html><h1>${marker} ${name} as accepted</h1>\n`);
    }
    const outside = path.join(root, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "index.html"), "<!doctype html><h1>OUTSIDE-THE-GRANT</h1>\n");
    await writeFile(path.join(outside, "credentials.env"), "AWS_SECRET_ACCESS_KEY=not-for-deployment\n", { mode: 0o600 });
    await symlink(outside, path.join(sourceRoot, "link-out"));
    service = await startServiceHarness(root, sourceRoot, {}, { worker: false });
    token = (await createToken(service.database.pool, Object.values(projects), "deploy")).token;
  }, 180_000);

  afterAll(async () => {
    await service?.stop(stacks);
  }, 180_000);

  async function call(method: string, route: string, body?: unknown) {
    const response = await fetch(`${service.base}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  const request = (project: string, source: string) => ({ project_id: project, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source });

  async function finished(id: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 240_000;
    let current = (await call("GET", `/v1/deployments/${id}`)).body;
    while (current.status !== "succeeded" && current.status !== "failed" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      current = (await call("GET", `/v1/deployments/${id}`)).body;
    }
    return current;
  }

  it("refuses a missing source at acceptance, naming it as sent and no path", async () => {
    const refused = await call("POST", "/v1/deployments", request(projects.swap, "site-not-yet"));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: "error", stage: "validation", reason: "source: 'site-not-yet' does not exist" });
  });

  it("refuses a source that is a link leading out of the grant at acceptance", async () => {
    const refused = await call("POST", "/v1/deployments", request(projects.swap, "link-out"));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: "error", stage: "validation", reason: "source: outside the directories this project may deploy, or missing" });
  });

  it("refuses a source larger than a bundle may hold with 413", async () => {
    process.env[MAX_BUNDLE_BYTES_ENV] = "16";
    try {
      const refused = await call("POST", "/v1/deployments", request(projects.swap, "site-swap"));
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({ status: "error", stage: "validation", reason: "source: 'site-swap' holds more than the 16-byte limit of a bundle on this service" });
    } finally {
      delete process.env[MAX_BUNDLE_BYTES_ENV];
    }
    const none = await service.database.pool.query("select count(*)::int as n from deployment_planner.deployments");
    expect(none.rows[0]).toEqual({ n: 0 });
  });

  it("keeps each accepted deployment's spec and bundle while its worker is held", async () => {
    for (const name of Object.keys(projects) as (keyof typeof projects)[]) {
      const accepted = await call("POST", "/v1/deployments", request(projects[name], `site-${name}`));
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      queued[name] = accepted.body.id as string;
    }
    const rows = await service.database.pool.query<{ planned: { spec: { stack: string } }; bundle_digest: string; bytes: string }>(
      `select d.planned, d.bundle_digest, b.bytes from deployment_planner.deployments d join deployment_planner.bundles b on b.digest = d.bundle_digest where d.id = any($1)`,
      [Object.values(queued)],
    );
    expect(rows.rows).toHaveLength(3);
    for (const row of rows.rows) {
      expect(row.bundle_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(stacks).toContain(row.planned.spec.stack);
    }
  });

  it("deploys the accepted bundles after the sources changed, and fails a tampered bundle at stage package", async () => {
    // The source swapped for a link to a directory outside the grant, holding a secret-looking file.
    await rm(path.join(sourceRoot, "site-swap"), { recursive: true });
    await symlink(path.join(root, "outside"), path.join(sourceRoot, "site-swap"));
    // A file edited after acceptance.
    await writeFile(path.join(sourceRoot, "site-edit", "index.html"), "<!doctype html><h1>EDITED-AFTER-ACCEPTANCE</h1>\n");
    // The stored bytes changed, with the digest left as it was.
    const pool = service.database.pool;
    const stored = await pool.query<{ digest: string; archive: Buffer }>(
      "select b.digest, b.archive from deployment_planner.bundles b join deployment_planner.deployments d on d.bundle_digest = b.digest where d.id = $1",
      [queued.tamper],
    );
    const raw = gunzipSync(stored.rows[0]!.archive);
    const tampered = Buffer.from(raw.toString("latin1").replace("tamper as accepted", "tamper TAMPERED"), "latin1");
    expect(tampered.equals(raw)).toBe(false);
    await pool.query("update deployment_planner.bundles set archive = $2 where digest = $1", [stored.rows[0]!.digest, gzipSync(tampered)]);

    await service.startWorker();
    const [swap, edit, tamper] = await Promise.all([finished(queued.swap), finished(queued.edit), finished(queued.tamper)]);

    expect(swap).toMatchObject({ status: "succeeded", result: { status: "success", deployed_to: "local" } });
    const swapPage = await (await fetch((swap.result as { url: string }).url)).text();
    expect(swapPage).toContain(`${marker} swap as accepted`);
    expect(swapPage).not.toContain("OUTSIDE-THE-GRANT");
    const leaked = await fetch(new URL("credentials.env", (swap.result as { url: string }).url));
    expect(await leaked.text()).not.toContain("not-for-deployment");

    expect(edit).toMatchObject({ status: "succeeded", result: { status: "success" } });
    const editPage = await (await fetch((edit.result as { url: string }).url)).text();
    expect(editPage).toContain(`${marker} edit as accepted`);
    expect(editPage).not.toContain("EDITED-AFTER-ACCEPTANCE");

    expect(tamper).toMatchObject({ status: "failed", result: { status: "error", stage: "package", reason: expect.stringContaining("do not match its digest") } });
  }, 300_000);

  it("removes the bundles no queued or running deployment needs", async () => {
    const removed = await pruneBundles(service.database.pool, { graceMs: 0 });
    expect(removed).toBe(3);
    const left = await service.database.pool.query("select count(*)::int as n from deployment_planner.bundles");
    expect(left.rows[0]).toEqual({ n: 0 });
  });

  it("answered no caller with a path of this machine", () => {
    expect(answers.length).toBeGreaterThan(5);
    for (const answer of answers) expect(answer).not.toContain(root);
  });
});
