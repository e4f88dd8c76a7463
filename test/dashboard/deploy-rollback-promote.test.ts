import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueId } from "../support/engine";
import { BROWSER_TIMEOUT_MS, signIn, type DashboardTab } from "../support/browser";
import { DEPLOYMENT_TIMEOUT_MS, exampleSite, type DashboardService } from "../support/dashboard-service";
import { dashboardSuite } from "../support/dashboard-suite";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fetches `url` until its body contains `text` (bounded); returns the last body. */
async function servedBody(url: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let body = "";
  while (Date.now() < deadline) {
    body = await fetch(url, { signal: AbortSignal.timeout(5_000) })
      .then((response) => response.text())
      .catch((error: unknown) => String(error));
    if (body.includes(text)) return body;
    await sleep(250);
  }
  return body;
}

/**
 * Records, in the page, when the first progress line and when the result appeared, so a test can tell that the
 * progress was shown live before the result and not all at once afterwards.
 */
async function watchProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const marks = (window.__marks = {});
    const look = () => {
      if (marks.line === undefined && document.querySelector("[aria-label='Progress lines'] li")) marks.line = performance.now();
      if (marks.result === undefined && document.getElementById("flow-outcome-heading")) marks.result = performance.now();
    };
    new MutationObserver(look).observe(document.body, { childList: true, subtree: true });
    look();
  })()`);
}

/**
 * The dashboard against a real `serve` (embedded PostgreSQL, real engine, local target): the example static site deployed
 * from "New deployment", a second version, a rollback from the stack's history and a promotion through the
 * diff-and-confirm dialog, each checked on the site's own URL.
 */
describe("deploying, rolling back and promoting from the dashboard", () => {
  const project = uniqueId("site");
  const tokenName = "dashboard-deployer";
  const suite = dashboardSuite({
    prefix: "dp-dashboard-deploy-",
    screenshots: "deploy-rollback-promote",
    sharedTab: true,
    async prepare(sources) {
      await exampleSite(path.join(sources, "site-v1"), "Example site, version one");
      await exampleSite(path.join(sources, "site-v2"), "Example site, version two");
    },
  });
  let service: DashboardService;
  let tab: DashboardTab;
  let token = "";
  let developmentUrl = "";

  const request = (source: string, versionName: string) =>
    JSON.stringify(
      { project_id: project, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source, version_name: versionName },
      null,
      2,
    );

  beforeAll(async () => {
    service = suite.service;
    tab = suite.tab!;
    service.track(`${project}.development`);
    service.track(`${project}.staging`);
    token = await service.createToken(tokenName, "deploy", project);
  }, 120_000);

  /** Deploys `source` as `versionName` from the New deployment screen and waits on the deployment's screen for its URL. */
  async function deployFromDashboard(page: Page, source: string, versionName: string): Promise<string> {
    await page.getByRole("link", { name: "New deployment" }).click();
    await page.waitForURL(/\/new$/);
    await page.getByLabel("Project").selectOption(project);
    await page.getByLabel("Environment").selectOption("development");
    await page.getByLabel("Request").fill(request(source, versionName));
    // The planner's explanation is shown before anything is deployed.
    await page.getByRole("button", { name: "Preview" }).click();
    await expect.poll(() => page.locator("main").innerText(), { timeout: 60_000 }).toContain(`${project}.development`);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.waitForURL(/\/deployments\/[^/]+$/);
    await watchProgress(page);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).first().innerText(), { timeout: BROWSER_TIMEOUT_MS }).toBe("Deployment");
    const result = page.getByRole("status").filter({ hasText: versionName });
    await result.waitFor({ timeout: DEPLOYMENT_TIMEOUT_MS });
    const marks = (await page.evaluate("window.__marks")) as { line?: number; result?: number };
    expect(marks.line, "a progress line appeared").toBeDefined();
    expect(marks.line!).toBeLessThan(marks.result!);
    const bar = page.locator("progress").first();
    expect(await bar.getAttribute("value")).toBe(await bar.getAttribute("max"));
    const link = result.getByRole("link", { name: /^http:\/\/127\.0\.0\.1:\d+/ });
    return (await link.getAttribute("href"))!;
  }

  it("deploys the example from New deployment, shows its progress and result, and the URL serves it; then a second version", async () => {
    const { page } = tab;
    await signIn(page, service.base, token);
    developmentUrl = await deployFromDashboard(page, "site-v1", "v1");
    expect(await servedBody(developmentUrl, "version one")).toContain("Example site, version one");

    const secondUrl = await deployFromDashboard(page, "site-v2", "v2");
    expect(secondUrl).toBe(developmentUrl);
    expect(await servedBody(developmentUrl, "version two")).toContain("Example site, version two");
  }, 400_000);

  it("rolls back to the first version from the stack's history: the URL serves it again and the history names the token", async () => {
    const { page } = tab;
    await page.getByRole("link", { name: "Projects" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).first().innerText(), { timeout: BROWSER_TIMEOUT_MS }).toBe("Projects");
    await page.locator(`a[href="/stacks/${project}/development"]`).first().click();
    await page.waitForURL(new RegExp(`/stacks/${project}/development$`));
    await expect.poll(() => page.getByRole("heading", { level: 1 }).first().innerText(), { timeout: BROWSER_TIMEOUT_MS }).toBe(`${project} · development`);

    const firstVersion = page.getByRole("row").filter({ hasText: "v1" });
    await firstVersion.getByRole("button", { name: /^Roll back to this version/ }).click();
    // The rollback is followed as a deployment of its own.
    await page.waitForURL(/\/deployments\/[^/]+$/);
    await page.getByRole("status").filter({ hasText: "v1" }).waitFor({ timeout: DEPLOYMENT_TIMEOUT_MS });
    expect(await servedBody(developmentUrl, "version one")).toContain("Example site, version one");

    // The stack's history shows the rollback newest first, and its operations name the signed-in token.
    await page.goto(`${service.base}/stacks/${project}/development`);
    await page.getByRole("heading", { name: "Current version" }).waitFor();
    const newest = page.getByRole("table").getByRole("row").nth(1);
    await expect.poll(() => newest.innerText(), { timeout: 30_000 }).toMatch(/rollback/i);
    expect(await newest.innerText()).toContain("v1");
    expect(await newest.innerText()).toContain(tokenName);
    // What serves now offers no rollback to itself; the entries before it do.
    expect(await newest.getByRole("button").count()).toBe(0);
    expect(await page.getByRole("table").getByRole("row").filter({ hasText: "v2" }).getByRole("button", { name: /^Roll back to this version/ }).count()).toBe(1);
    const byToken = page.getByRole("listitem").filter({ hasText: /rollback/i }).filter({ hasText: tokenName });
    await expect.poll(() => byToken.count(), { timeout: 30_000 }).toBeGreaterThan(0);

    const api = await service.api(token, "GET", `/v1/stacks/${project}/development/history`);
    const entries = api.json.history as { message?: string }[];
    expect(entries[0]?.message).toMatch(/rollback .* from 2 to 1/);
  }, 300_000);

  it("promotes development to staging through the diff-and-confirm dialog, and staging then serves", async () => {
    const { page } = tab;
    await page.goto(`${service.base}/stacks/${project}/development`);
    await page.getByRole("button", { name: "Promote to staging" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    // The diff between the two stack files and the engine's preview are on screen before anything is confirmed.
    await expect.poll(() => dialog.innerText(), { timeout: 90_000 }).toContain("Engine preview");
    const shown = await dialog.innerText();
    expect(shown).toContain("Stack file changes");
    expect(shown).toMatch(/staging/);
    expect(await service.api(token, "GET", `/v1/stacks/${project}/staging`).then((answer) => answer.status)).toBe(404);
    await dialog.getByRole("button", { name: "Confirm promotion" }).click();

    // The promotion is followed as a deployment; its result links staging's URL.
    await page.waitForURL(/\/deployments\/[^/]+$/);
    const result = page.getByRole("status").filter({ hasText: "v1" });
    await result.waitFor({ timeout: DEPLOYMENT_TIMEOUT_MS });
    const stagingUrl = (await result.getByRole("link", { name: /^http:\/\/127\.0\.0\.1:\d+/ }).getAttribute("href")) ?? "";
    expect(stagingUrl, "staging has a URL").toMatch(/^http:\/\//);
    expect(stagingUrl).not.toBe(developmentUrl);
    expect(await servedBody(stagingUrl, "version one", 60_000)).toContain("Example site, version one");

    await page.goto(`${service.base}/stacks/${project}/staging`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).first().innerText(), { timeout: BROWSER_TIMEOUT_MS }).toBe(`${project} · staging`);
    await page.getByRole("heading", { name: "Current version" }).waitFor();
    await expect.poll(() => page.locator("main").innerText(), { timeout: BROWSER_TIMEOUT_MS }).toContain("v1");
  }, 300_000);
});
