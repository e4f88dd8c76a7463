import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueId } from "../support/engine";
import { signIn } from "../support/browser";
import { DEPLOYMENT_TIMEOUT_MS, exampleSite, type DashboardService } from "../support/dashboard-service";
import { dashboardSuite } from "../support/dashboard-suite";

/** Markup that would run script if any screen put it into the page as HTML instead of text. */
const HOSTILE = "<img src=x onerror=alert(1)>";

/** Buttons that change something: none of them may be on a read token's screen. */
const ACTION = /^(Deploy|Preview|Roll back|Rolling back|Promote|Confirm|Redeploy|Destroy|Abort)/;

/** The names of the page's buttons that change something. */
async function actionButtons(page: Page): Promise<string[]> {
  const names = await page.getByRole("button").evaluateAll((buttons) => buttons.map((button) => (button.textContent ?? "").trim()));
  return names.filter((name) => ACTION.test(name));
}

/** The visible main text, once the screen has left its loading state. */
async function settledMain(page: Page): Promise<string> {
  // A spinner ("Checking your session…", "Loading the stack…", "Reading your projects…") is gone once the screen has
  // its session and its data.
  await expect.poll(() => page.locator("main .spinner").count(), { timeout: 60_000 }).toBe(0);
  await expect.poll(() => page.locator("main").innerText(), { timeout: 60_000 }).not.toMatch(/(Checking|Loading|Reading)[^\n]*…/);
  return page.locator("main").innerText();
}

/**
 * What the dashboard must never do, against a real `serve`: offer a read token an action, take a state change without
 * the session's CSRF token, turn a hostile value into markup, hide a failure's fix, or load anything from another host.
 */
describe("the dashboard's access, escaping, failures and CSP", () => {
  const project = uniqueId("safe");
  /** A second project of the same tokens, for the deployment that fails. */
  const failing = `${project}-crash`;
  const suite = dashboardSuite({
    prefix: "dp-dashboard-safety-",
    screenshots: "safety",
    async prepare(sources) {
      await exampleSite(path.join(sources, "site"), "Example site");
      // An app that writes the hostile markup to its log and exits before it answers: its failure quotes the log.
      await mkdir(path.join(sources, "crash"));
      await writeFile(path.join(sources, "crash", "server.js"), `console.log(${JSON.stringify(HOSTILE)});\nprocess.exit(3);\n`);
      await writeFile(path.join(sources, "crash", "package.json"), JSON.stringify({ name: "crash", scripts: { start: "node server.js" } }));
    },
  });
  let service: DashboardService;
  let deployToken = "";
  let readToken = "";

  beforeAll(async () => {
    service = suite.service;
    service.track(`${project}.development`);
    service.track(`${failing}.development`);
    [deployToken, readToken] = await Promise.all([service.createToken("safety-deployer", "deploy", `${project},${failing}`), service.createToken("safety-reader", "read", `${project},${failing}`)]);
    // A deployed stack for the screens to show, its deployer label the hostile markup.
    const queued = await service.api(deployToken, "POST", "/v1/deployments", {
      project_id: project,
      deployment_type: "static_site",
      tech_stack: ["HTML"],
      target: "local",
      environment: { ENV: "development" },
      source: "site",
      version_name: "v1",
      deployer_id: HOSTILE,
    });
    expect(queued.status, queued.text).toBe(202);
    expect(await service.finished(deployToken, queued.json.id as string)).toMatchObject({ status: "succeeded" });
  }, 240_000);

  it("shows a read token no action button on Projects, the stack and New deployment, and the API refuses it anyway", async () => {
    const { page } = await suite.signedIn(readToken);
    await page.goto(`${service.base}/projects`);
    expect(await settledMain(page)).toContain(project);
    expect(await actionButtons(page)).toEqual([]);

    await page.goto(`${service.base}/stacks/${project}/development`);
    expect(await settledMain(page)).toContain("v1");
    expect(await actionButtons(page)).toEqual([]);
    for (const name of ["Roll back to this version", "Promote to staging", "Redeploy", "Destroy"]) expect(await page.getByRole("button", { name }).count()).toBe(0);

    await page.goto(`${service.base}/new`);
    await settledMain(page);
    expect(await page.getByRole("button", { name: "Deploy", exact: true }).count()).toBe(0);
    expect(await actionButtons(page)).toEqual([]);

    // With the session's own CSRF token, the read scope is still refused by the API.
    const refused = await page.evaluate(async (route) => {
      const session = (await (await fetch("/v1/sessions/current")).json()) as { csrf_token: string };
      const response = await fetch(route, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrf_token }, body: "{}" });
      return response.status;
    }, `/v1/stacks/${project}/development/rollback`);
    expect(refused).toBe(403);
  }, 120_000);

  it("refuses a forged cross-site form post and a cookie-only request without the CSRF token, and nothing changes", async () => {
    const { page, context } = await suite.signedIn(deployToken);
    const historyBefore = (await service.api(deployToken, "GET", `/v1/stacks/${project}/development/history`)).json.history as unknown[];
    const target = `${service.base}/v1/stacks/${project}/development/rollback`;

    // An attacker's page on another site posts a form at the service while the person is signed in.
    await context.route("http://attacker.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><title>win a prize</title><form method="post" action="${target}" enctype="text/plain"><input name='{"to":1,"x":"' value='"}'></form><script>document.forms[0].submit()</script>`,
      }),
    );
    const forged = page.waitForResponse((response) => response.url() === target);
    await page.goto("http://attacker.test/prize");
    const forgedAnswer = await forged;
    expect([401, 403]).toContain(forgedAnswer.status());

    // The same request from the dashboard's own origin with the cookie but no X-CSRF-Token header.
    await page.goto(`${service.base}/projects`);
    const cookieOnly = await page.evaluate(async (route) => {
      const response = await fetch(route, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      return { status: response.status, body: (await response.json()) as { reason?: string } };
    }, target);
    expect(cookieOnly.status).toBe(403);
    expect(cookieOnly.body.reason).toMatch(/CSRF/);

    // Nothing was queued: the history is as it was.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const historyAfter = (await service.api(deployToken, "GET", `/v1/stacks/${project}/development/history`)).json.history as unknown[];
    expect(historyAfter).toEqual(historyBefore);
  }, 120_000);

  it("renders a hostile version name, deployer and app log line as text: visible, no element made, no dialog opened", async () => {
    const { page, dialogs } = await suite.signedIn(deployToken);

    // The deployer label on the stack's history.
    await page.goto(`${service.base}/stacks/${project}/development`);
    await settledMain(page);
    await expect.poll(() => page.getByText(HOSTILE, { exact: false }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);

    // The planner's message for the hostile version name, shown as the person types.
    await page.goto(`${service.base}/new`);
    await page.getByLabel("Project").selectOption(project);
    await page.getByLabel("Request").fill(
      JSON.stringify({ project_id: project, deployment_type: "static_site", tech_stack: ["HTML"], target: "local", environment: { ENV: "development" }, source: "site", version_name: HOSTILE }, null, 2),
    );
    const message = page.getByRole("alert").filter({ hasText: HOSTILE });
    await expect.poll(() => message.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.locator("main").innerText()).toContain("version_name");
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 120_000);

  it("shows a failed deployment's stage, reason and fix suggestion, the app's hostile log line as text", async () => {
    const { page, dialogs } = await suite.signedIn(deployToken);
    await page.goto(`${service.base}/new`);
    await page.getByLabel("Project").selectOption(failing);
    await page.getByLabel("Request").fill(
      JSON.stringify({ project_id: failing, deployment_type: "api", tech_stack: ["Node.js"], target: "local", environment: { ENV: "development" }, source: "crash", version_name: "crash-1" }, null, 2),
    );
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await page.waitForURL(/\/deployments\/[^/]+$/);
    const failure = page.getByRole("alert").filter({ hasText: "Fix:" });
    await failure.waitFor({ timeout: DEPLOYMENT_TIMEOUT_MS });
    const text = await failure.innerText();
    expect(text).toContain("verify");
    expect(text).toMatch(/Fix:\s*Check that the app starts with its start command/);
    expect(text).toContain(HOSTILE);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 240_000);

  it("sends a strict CSP and makes no request to any host but the service on any screen", async () => {
    const { page, requests } = await suite.openTab();
    const document = await page.goto(`${service.base}/sign-in`);
    const csp = document?.headers()["content-security-policy"] ?? "";
    expect(csp).toMatch(/default-src '(none|self)'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    const scriptSources = /script-src ([^;]*)/.exec(csp)?.[1] ?? /default-src ([^;]*)/.exec(csp)?.[1] ?? "";
    expect(scriptSources).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(csp).not.toMatch(/unsafe-eval/);

    await signIn(page, service.base, deployToken);
    for (const screen of ["/projects", `/stacks/${project}/development`, "/new", `/stacks/${project}/development/rollout`, "/audit"]) {
      await page.goto(`${service.base}${screen}`);
      await settledMain(page);
      const answer = (await page.request.get(page.url())).headers()["content-security-policy"];
      expect(answer, screen).toBe(csp);
    }
    const origin = new URL(service.base).origin;
    const elsewhere = requests.map((request) => request.url()).filter((url) => !url.startsWith(`${origin}/`));
    expect(elsewhere).toEqual([]);
    expect(requests.length).toBeGreaterThan(5);
  }, 120_000);
});
