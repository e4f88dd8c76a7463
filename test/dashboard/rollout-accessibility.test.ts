import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueId } from "../support/engine";
import { startPoller } from "../support/processes";
import { BROWSER_TIMEOUT_MS, describeViolations, seriousViolations, signIn, VIEWPORTS } from "../support/browser";
import { DEPLOYMENT_TIMEOUT_MS, type DashboardService } from "../support/dashboard-service";
import { dashboardSuite } from "../support/dashboard-suite";

/** Steps short enough for a test; the error gate as a person would set it. */
const ROLLOUT = { strategy: "canary", steps: [10, 50, 100], step_interval_seconds: 4, max_error_rate: 0.05, min_requests: 20 };

/** A Node app answering `body`; with `failAfter`, it answers that many requests and then HTTP 500 to everything. */
async function nodeApp(dir: string, body: string, failAfter: number | null): Promise<void> {
  await mkdir(dir, { recursive: true });
  const broken = failAfter === null ? "false" : `served > ${failAfter}`;
  await writeFile(
    path.join(dir, "server.js"),
    `let served = 0;\nrequire("node:http").createServer((q, s) => { served += 1; if (${broken}) { s.statusCode = 500; s.end("broken"); } else s.end(${JSON.stringify(body)}); }).listen(Number(process.env.PORT), "127.0.0.1");\n`,
  );
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: path.basename(dir), scripts: { start: "node server.js" } }));
}

/**
 * A canary that fails its error gate, watched on the Rollout screen, and axe-core run on every screen at a laptop's
 * and a small phone's width, against a real `serve` (embedded PostgreSQL, real engine, local target).
 */
describe("the canary rollout screen and the dashboard's accessibility", () => {
  const project = uniqueId("canary");
  const suite = dashboardSuite({
    prefix: "dp-dashboard-rollout-",
    screenshots: "rollout-accessibility",
    async prepare(sources) {
      await nodeApp(path.join(sources, "stable"), "stable", null);
      // It passes the first health probe, then answers 500 to everything.
      await nodeApp(path.join(sources, "bad"), "bad", 1);
    },
  });
  let service: DashboardService;
  let adminToken = "";
  let canaryDeployment = "";

  const request = (source: string, versionName: string, rollout?: object) => ({
    project_id: project,
    deployment_type: "api",
    tech_stack: ["Node.js"],
    target: "local",
    environment: { ENV: "development" },
    source,
    version_name: versionName,
    ...(rollout ? { rollout } : {}),
  });

  beforeAll(async () => {
    service = suite.service;
    service.track(`${project}.development`);
    adminToken = await service.createToken("rollout-admin", "admin", project);
    const first = await service.api(adminToken, "POST", "/v1/deployments", request("stable", "v1", ROLLOUT));
    expect(first.status, first.text).toBe(202);
    expect(await service.finished(adminToken, first.json.id as string)).toMatchObject({ status: "succeeded" });
  }, 240_000);

  it("shows a canary that fails its error gate aborted on the Rollout screen, with the reason", async () => {
    const { page } = await suite.signedIn(adminToken);
    const stack = (await service.api(adminToken, "GET", `/v1/stacks/${project}/development`)).json as { url?: string };
    expect(stack.url).toMatch(/^http:\/\//);

    const queued = await service.api(adminToken, "POST", "/v1/deployments", request("bad", "v2", ROLLOUT));
    expect(queued.status, queued.text).toBe(202);
    canaryDeployment = queued.json.id as string;
    await page.goto(`${service.base}/stacks/${project}/development/rollout`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).first().innerText(), { timeout: BROWSER_TIMEOUT_MS }).toBe("Canary rollout");
    // Traffic for the canary's error gate, as callers of the site would send it.
    const poller = startPoller(stack.url!, 25);
    try {
      const record = await service.finished(adminToken, canaryDeployment, DEPLOYMENT_TIMEOUT_MS);
      expect(record, JSON.stringify(record)).toMatchObject({ status: "failed", result: { stage: "verify", reason: expect.stringContaining("canary aborted") } });
    } finally {
      await poller.stop();
    }
    const main = page.locator("main");
    await expect.poll(() => main.innerText(), { timeout: 30_000 }).toMatch(/abort/i);
    await expect.poll(() => main.innerText(), { timeout: 30_000 }).toMatch(/error rate/i);
    // The chart is drawn.
    expect(await page.locator("main svg").count()).toBeGreaterThan(0);
  }, 300_000);

  it("has no serious or critical axe-core violation on any screen at 1280 px and at 360 px", async () => {
    expect(canaryDeployment, "the canary's deployment exists").not.toBe("");
    const found: string[] = [];
    for (const [width, viewport] of Object.entries(VIEWPORTS)) {
      const { page } = await suite.openTab(viewport);
      await page.goto(`${service.base}/sign-in`);
      await page.getByLabel("API token").waitFor();
      found.push(describeViolations(`sign-in at ${width}`, await seriousViolations(page)));
      await signIn(page, service.base, adminToken);
      const screens: Record<string, string> = {
        projects: "/projects",
        stack: `/stacks/${project}/development`,
        "new deployment": "/new",
        deployment: `/deployments/${canaryDeployment}`,
        rollout: `/stacks/${project}/development/rollout`,
        audit: "/audit",
      };
      for (const [name, screen] of Object.entries(screens)) {
        await page.goto(`${service.base}${screen}`);
        await page.locator("main h1").first().waitFor();
        // Loaded content, not a spinner, is what is checked.
        await expect.poll(async () => (await page.locator("main").innerText()).length, { timeout: 30_000 }).toBeGreaterThan(40);
        await page.waitForLoadState("networkidle", { timeout: 2_000 }).catch(() => undefined);
        found.push(describeViolations(`${name} at ${width}`, await seriousViolations(page)));
      }
    }
    const report = found.filter(Boolean).join("\n");
    if (report) console.error(report);
    expect(report).toBe("");
  }, 240_000);
});
