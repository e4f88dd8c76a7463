/**
 * Every screen is a URL: the router matches the address bar against the route table, renders that screen with its
 * path parameters and query, and moves between screens with the History API (links stay real links).
 */
import type { AnchorHTMLAttributes, ComponentChildren, FunctionComponent, JSX, TargetedMouseEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { AuditScreen } from "./screens/Audit";
import { DeploymentScreen } from "./screens/Deployment";
import { NewDeploymentScreen } from "./screens/NewDeployment";
import { ProjectsScreen } from "./screens/Projects";
import { RolloutScreen } from "./screens/Rollout";
import { SignInScreen } from "./screens/SignIn";
import { StackScreen } from "./screens/Stack";

/** What every screen receives: its path parameters (decoded) and the query string. */
export interface ScreenProps {
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
}

/** One entry of the route table: a pattern such as "/stacks/:project/:environment", its screen and page title. */
interface Route {
  readonly pattern: string;
  readonly screen: FunctionComponent<ScreenProps>;
  readonly title: (params: Record<string, string>) => string;
  /** Whether the screen is shown without a session (only sign-in). */
  readonly public?: boolean;
}

const ROUTES: readonly Route[] = [
  { pattern: "/sign-in", screen: SignInScreen, title: () => "Sign in", public: true },
  { pattern: "/", screen: ProjectsScreen, title: () => "Projects" },
  { pattern: "/projects", screen: ProjectsScreen, title: () => "Projects" },
  { pattern: "/projects/:project", screen: ProjectsScreen, title: (p) => `${p.project} · Projects` },
  { pattern: "/new", screen: NewDeploymentScreen, title: () => "New deployment" },
  { pattern: "/deployments/:id", screen: DeploymentScreen, title: () => "Deployment" },
  { pattern: "/stacks/:project/:environment", screen: StackScreen, title: (p) => `${p.project} · ${p.environment}` },
  { pattern: "/stacks/:project/:environment/rollout", screen: RolloutScreen, title: () => "Canary rollout" },
  { pattern: "/audit", screen: AuditScreen, title: () => "Audit trail" },
];

/** The screen a path resolves to. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** Matches a path (without query) against the route table; null when no screen has that URL. */
export function matchRoute(pathname: string): RouteMatch | null {
  const parts = pathname.replace(/\/+$/, "").split("/").slice(1);
  for (const route of ROUTES) {
    const patternParts = route.pattern === "/" ? [] : route.pattern.split("/").slice(1);
    if (patternParts.length !== (parts.length === 1 && parts[0] === "" ? 0 : parts.length)) continue;
    const params: Record<string, string> = {};
    let matched = true;
    patternParts.forEach((patternPart, index) => {
      const part = parts[index] ?? "";
      if (patternPart.startsWith(":")) {
        try {
          params[patternPart.slice(1)] = decodeURIComponent(part);
        } catch {
          matched = false;
        }
      } else if (patternPart !== part) matched = false;
    });
    if (matched) return { route, params };
  }
  return null;
}

/** Whether a path is a screen that needs no session. */
export function isPublicPath(pathname: string): boolean {
  return matchRoute(pathname)?.route.public === true;
}

const listeners = new Set<() => void>();
const notify = (): void => {
  for (const listener of listeners) listener();
};
window.addEventListener("popstate", notify);

/** Goes to another screen without reloading the page; `replace` leaves no history entry (redirects). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.scrollTo(0, 0);
  notify();
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): { pathname: string; query: URLSearchParams } {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = (): void => setVersion((version) => version + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { pathname: location.pathname, query: new URLSearchParams(location.search) };
}

/** Builds a path from fixed parts and values, encoding each value ("/stacks/" + project + "/" + environment). */
export function pathTo(...segments: readonly string[]): string {
  return `/${segments.map((segment) => encodeURIComponent(segment)).join("/")}`;
}

/** Props of `Link`: any anchor attribute, with `href` a same-origin path. */
export type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/**
 * A real `<a href>` that moves between screens without a reload; a modified click (new tab, new window) is left to
 * the browser.
 */
export function Link(props: LinkProps): JSX.Element {
  const { href, onClick, ...rest } = props;
  const handleClick = (event: TargetedMouseEvent<HTMLAnchorElement>): void => {
    if (typeof onClick === "function") onClick(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={handleClick} {...rest} />;
}

/** Props of `Router`: what to render when no screen has the URL. */
export interface RouterProps {
  readonly notFound: FunctionComponent<{ pathname: string }>;
}

/** Renders the screen of the current URL and keeps the page title in step with it. */
export function Router({ notFound: NotFound }: RouterProps): JSX.Element {
  const { pathname, query } = useLocation();
  const match = matchRoute(pathname);
  const title = match ? match.route.title(match.params) : "Not found";
  useEffect(() => {
    document.title = `${title} — Deployment Planner`;
  }, [title]);
  const firstScreen = useRef(true);
  useEffect(() => {
    // After moving to another screen, keyboard and screen-reader focus starts at its content, not on a link now gone.
    if (firstScreen.current) {
      firstScreen.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [pathname]);
  if (match === null) return <NotFound pathname={pathname} />;
  const Screen = match.route.screen;
  // The key makes a new URL a new screen, so no state from one stack leaks into the next.
  return <Screen key={pathname} params={match.params} query={query} />;
}
