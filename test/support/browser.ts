import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";

const REPO = path.resolve(__dirname, "..", "..");

/** Longest any single browser action or wait may take. */
export const BROWSER_TIMEOUT_MS = 30_000;

/** The two widths every screen must be readable at: a laptop and a small phone. */
export const VIEWPORTS = { wide: { width: 1280, height: 800 }, narrow: { width: 360, height: 740 } } as const;

/**
 * Launches Debian's Chromium (or `CHROMIUM_PATH`) headless through playwright-core, bounded by `BROWSER_TIMEOUT_MS`.
 * The caller closes it in its `afterAll`.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"], timeout: BROWSER_TIMEOUT_MS });
}

/** A browser tab on the dashboard, with what it did: every request it made, dialogs it opened, script errors. */
export interface DashboardTab {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request the page made, in order (URL and method). */
  readonly requests: Request[];
  /** Messages of every `alert`/`confirm`/`prompt` the page opened (each one dismissed at once). */
  readonly dialogs: string[];
  /** Uncaught script errors and console errors of the page. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Opens a fresh browser context (no cookies) at `viewport`, recording the tab's requests, dialogs and errors. */
export async function openTab(browser: Browser, viewport: { width: number; height: number } = VIEWPORTS.wide): Promise<DashboardTab> {
  const context = await browser.newContext({ viewport, timezoneId: "Europe/Berlin", locale: "en-GB" });
  context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(BROWSER_TIMEOUT_MS);
  const page = await context.newPage();
  const requests: Request[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request));
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss().catch(() => undefined);
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return { context, page, requests, dialogs, errors, close: () => context.close().catch(() => undefined) };
}

/** Signs in on `/sign-in` with `token` and waits until the dashboard has left the sign-in screen. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
}

/** One axe-core finding: the rule, how bad, and where. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: { target: unknown[]; failureSummary?: string }[];
}

let axeSource: Promise<string> | null = null;

/**
 * Runs axe-core in the page and returns its serious and critical violations. axe is evaluated through the DevTools
 * protocol, which the page's Content-Security-Policy does not govern, so the dashboard's real CSP stays in force.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(path.join(REPO, "node_modules", "axe-core", "axe.min.js"), "utf8");
  const source = await axeSource;
  if (!(await page.evaluate("typeof window.axe !== 'undefined'"))) await page.evaluate(source);
  const violations = (await page.evaluate("window.axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations)")) as AxeViolation[];
  return violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
}

/** The violations as lines a person can act on: rule, impact, help and the first elements it names. */
export function describeViolations(screen: string, violations: readonly AxeViolation[]): string {
  return violations
    .map((v) => `${screen}: ${v.id} (${v.impact}) ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.replace(/\s+/g, " ") ?? ""}`).join("\n")}`)
    .join("\n");
}

/** Where each test's last screen is kept (CI keeps the folder when a test fails). */
export const SCREENSHOT_DIR = path.join(REPO, "test-results", "dashboard");

/** Saves the page as `test-results/dashboard/<name>.png` (the name made file-safe); never fails the test itself. */
export async function saveScreenshot(page: Page | undefined, name: string): Promise<string | null> {
  if (!page || page.isClosed()) return null;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 120)}.png`);
  return page
    .screenshot({ path: file, fullPage: true, timeout: 10_000 })
    .then(() => file)
    .catch(() => null);
}
