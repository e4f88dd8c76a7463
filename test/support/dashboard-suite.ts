import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { launchBrowser, openTab, saveScreenshot, signIn, VIEWPORTS, type DashboardTab } from "./browser";
import { startDashboardService, type DashboardService } from "./dashboard-service";

/** How `dashboardSuite` starts a browser test file's service and tabs. */
export interface DashboardSuiteOptions {
  /** The temp directory's prefix, e.g. `dp-dashboard-safety-`. */
  readonly prefix: string;
  /** Each test's last screen is kept as `test-results/dashboard/<screenshots>-<test name>.png`. */
  readonly screenshots: string;
  /** Fills the service's source root before it starts. */
  prepare(sources: string): Promise<void>;
  /**
   * One tab for the whole file (opened before the first test, its screen kept after each), for tests that follow on
   * from each other; default: a fresh tab per test, closed after it.
   */
  readonly sharedTab?: boolean;
}

/** A browser test file's running service and browser, and the tab of the test that runs. */
export interface DashboardSuite {
  /** The real `serve`; defined from the file's own `beforeAll` hooks on. */
  readonly service: DashboardService;
  readonly browser: Browser;
  /** The running test's tab (the shared one with `sharedTab`), or undefined before a test opened one. */
  readonly tab: DashboardTab | undefined;
  /** Opens a fresh tab at `viewport` (no cookies) as the test's tab, closing the one it had. */
  openTab(viewport?: { width: number; height: number }): Promise<DashboardTab>;
  /** Opens a fresh tab at `viewport` and signs in with `token` there. */
  signedIn(token: string, viewport?: { width: number; height: number }): Promise<DashboardTab>;
}

/**
 * Registers the hooks of a dashboard browser test file: before all, a real `serve` (`startDashboardService`) and a
 * headless Chromium; after each test, a screenshot of its last screen (and its tab closed); after all, the browser
 * closed and the service stopped (its tracked stacks destroyed). Call it at the top of the `describe`, before the
 * file's own hooks, which then find the service started.
 */
export function dashboardSuite(options: DashboardSuiteOptions): DashboardSuite {
  let service: DashboardService | undefined;
  let browser: Browser | undefined;
  let tab: DashboardTab | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the dashboard suite's ${what} has not started`);
    return value;
  };

  beforeAll(async () => {
    service = await startDashboardService(options.prefix, options.prepare);
    browser = await launchBrowser();
    if (options.sharedTab) tab = await openTab(browser);
  }, 120_000);

  afterEach(async (context) => {
    await saveScreenshot(tab?.page, `${options.screenshots}-${context.task.name}`);
    if (options.sharedTab) return;
    await tab?.close();
    tab = undefined;
  }, 30_000);

  afterAll(async () => {
    await tab?.close();
    await browser?.close();
    await service?.stop();
  }, 300_000);

  const suite: DashboardSuite = {
    get service() {
      return started(service, "service");
    },
    get browser() {
      return started(browser, "browser");
    },
    get tab() {
      return tab;
    },
    async openTab(viewport = VIEWPORTS.wide) {
      await tab?.close();
      tab = await openTab(started(browser, "browser"), viewport);
      return tab;
    },
    async signedIn(token, viewport) {
      const opened = await suite.openTab(viewport);
      await signIn(opened.page, started(service, "service").base, token);
      return opened;
    },
  };
  return suite;
}
